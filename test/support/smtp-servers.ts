/**
 * Real SMTP servers on 127.0.0.1 for the probe's tests, on node:net and
 * node:tls: they greet, answer EHLO, upgrade on STARTTLS and say goodbye on
 * QUIT, and record every command line they receive (in plain text and after
 * STARTTLS alike), so tests can assert what a client sent and what it did not.
 *
 * @example
 * const { ca, key, cert } = serverCertificates();
 * const server = await startStartTlsServer({ key, cert });
 * await probeSmtp(server.host, server.port, { timeoutMs: 2000, ca: ca.pem });
 * await server.idle();
 * server.commands // ["EHLO mailflow-guard.invalid", "STARTTLS", "QUIT"]
 */
import net from "node:net";
import tls from "node:tls";
import { daysFrom, type MadeCertificate, makeCertificate } from "./certificates.js";

export interface SmtpSession {
  /** The command lines of this connection, in order. */
  commands: string[];
  /** After STARTTLS: the SNI name the client sent (false: none), the version negotiated, or why the handshake failed. */
  servername?: string | false;
  tlsVersion?: string;
  tlsError?: string;
}

export interface SmtpTestServer {
  host: "127.0.0.1";
  port: number;
  /** One per accepted connection. */
  sessions: SmtpSession[];
  /** Every session's commands, in order. */
  readonly commands: string[];
  /** Resolves once every connection accepted so far has closed: then `commands` is complete. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface ServerTls {
  key: string;
  /** The leaf, optionally followed by intermediates, in PEM. */
  cert: string;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  ciphers?: string;
}

export interface SmtpServerOptions {
  /** The 220 greeting's lines. */
  banner?: readonly string[];
  /** The EHLO reply's lines after the greeting line; STARTTLS is added when `tls` is given. */
  extensions?: readonly string[];
  /** The EHLO reply's code: an inspecting firewall of old answers EHLO itself with 500. */
  ehloCode?: number;
  /** Offers STARTTLS with this certificate. */
  tls?: ServerTls;
  /** Accepts and never writes a byte. */
  silent?: boolean;
  /** Each reply is written this long after its command. */
  delayMs?: number;
}

const BANNER = ["mail.contoso.test Microsoft ESMTP MAIL Service ready"];
const EXTENSIONS = ["SIZE 37748736", "PIPELINING", "DSN", "ENHANCEDSTATUSCODES", "8BITMIME", "BINARYMIME", "CHUNKING"];

export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<SmtpTestServer> {
  const sessions: SmtpSession[] = [];
  const sockets = new Set<net.Socket>();
  const closed: Promise<void>[] = [];
  const secureContext = options.tls && tls.createSecureContext(options.tls);

  const later = (work: () => void) => (options.delayMs ? setTimeout(work, options.delayMs) : work());
  const reply = (stream: net.Socket, code: number, lines: readonly string[], then?: () => void) =>
    later(() => {
      if (stream.destroyed || !stream.writable) return;
      stream.write(lines.map((line, i) => `${code}${i === lines.length - 1 ? " " : "-"}${line}\r\n`).join(""));
      then?.();
    });

  /** Answers commands on `stream`, the plain socket or the TLS one after STARTTLS. */
  const converse = (stream: net.Socket, session: SmtpSession, secure: boolean) => {
    let pending = "";
    const onData = (chunk: Buffer) => {
      const lines = (pending + chunk.toString("latin1")).split("\r\n");
      pending = lines.pop()!;
      for (const line of lines) {
        session.commands.push(line);
        if (options.silent) continue;
        const verb = line.split(" ")[0]!.toUpperCase();
        if (verb === "EHLO") {
          const offered = secureContext && !secure ? ["STARTTLS"] : [];
          reply(stream, options.ehloCode ?? 250, [
            `mail.contoso.test Hello [${stream.remoteAddress}]`,
            ...(options.extensions ?? EXTENSIONS),
            ...offered,
          ]);
        } else if (verb === "STARTTLS" && secureContext && !secure) {
          // Nothing after STARTTLS is read in plain text (RFC 3207 §4.2): the next bytes are the client's hello.
          stream.off("data", onData);
          stream.pause();
          reply(stream, 220, ["2.0.0 SMTP server ready"], () => upgrade(stream, session, secureContext));
          return;
        } else if (verb === "QUIT") {
          reply(stream, 221, ["2.0.0 Service closing transmission channel"], () => stream.end());
        } else if (verb === "NOOP" || verb === "RSET") {
          reply(stream, 250, ["2.0.0 OK"]);
        } else {
          reply(stream, 502, ["5.5.2 Command not implemented by this test server"]);
        }
      }
    };
    stream.on("data", onData);
  };

  const upgrade = (socket: net.Socket, session: SmtpSession, secureContext: tls.SecureContext) => {
    const secure = new tls.TLSSocket(socket, { isServer: true, secureContext });
    secure.on("secure", () => {
      session.servername = secure.servername ?? false;
      session.tlsVersion = secure.getProtocol() ?? undefined;
    });
    secure.on("error", (error: NodeJS.ErrnoException) => {
      session.tlsError ??= error.code ?? error.message;
      secure.destroy();
    });
    converse(secure, session, true);
  };

  const server = net.createServer((socket) => {
    const session: SmtpSession = { commands: [] };
    sessions.push(session);
    sockets.add(socket);
    closed.push(new Promise((resolve) => socket.once("close", () => resolve())));
    socket.once("close", () => sockets.delete(socket));
    // A client that gives up mid-conversation resets the connection; that is what some tests do on purpose.
    socket.on("error", () => {});
    if (!options.silent) reply(socket, 220, options.banner ?? BANNER);
    converse(socket, session, false);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    host: "127.0.0.1",
    port: (server.address() as net.AddressInfo).port,
    sessions,
    get commands() {
      return sessions.flatMap((s) => s.commands);
    },
    idle: async () => {
      await Promise.all(closed);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A CA and a leaf for `mail.contoso.test` it signed; the server presents the leaf alone, so the chain verifies only against the CA. */
export function serverCertificates(options: { keyType?: "ec" | "rsa"; now?: Date } = {}): {
  ca: MadeCertificate;
  leaf: MadeCertificate;
  key: string;
  cert: string;
} {
  const now = options.now ?? new Date();
  const ca = makeCertificate({
    subject: [
      ["C", "US"],
      ["O", "Contoso Test"],
      ["CN", "Contoso Test Root CA"],
    ],
    isCA: true,
    notBefore: daysFrom(now, -30),
    notAfter: daysFrom(now, 3650),
    keyType: options.keyType,
  });
  const leaf = makeCertificate({
    subject: [
      ["C", "US"],
      ["O", "Contoso, Ltd"],
      ["CN", "mail.contoso.test"],
    ],
    issuer: ca,
    sans: ["mail.contoso.test", "autodiscover.contoso.test"],
    // Half a day past a whole number, so daysLeft is 90 however long the test takes.
    notBefore: daysFrom(now, -1),
    notAfter: daysFrom(now, 90.5),
    keyType: options.keyType,
  });
  return { ca, leaf, key: leaf.privateKey.export({ type: "pkcs8", format: "pem" }) as string, cert: leaf.pem };
}

/** A server as Exchange's default frontend connector answers: STARTTLS offered, any TLS version node allows by default (1.2, 1.3). */
export function startStartTlsServer(
  certificate: { key: string; cert: string },
  options: Omit<SmtpServerOptions, "tls"> = {},
): Promise<SmtpTestServer> {
  return startSmtpServer({ ...options, tls: { key: certificate.key, cert: certificate.cert } });
}

/** A server that offers no STARTTLS: KB2989382's symptom when TlsCertificateName names no installed certificate. */
export function startPlainServer(): Promise<SmtpTestServer> {
  return startSmtpServer();
}

/**
 * A server behind an inspecting firewall. `asa`: Cisco ASA ESMTP inspection,
 * which replaces the extensions it does not allow by X's of their length
 * (STARTTLS → `XXXXXXXA`) and leaves the banner. `pix`: the PIX `fixup protocol
 * smtp`, which masks the banner with asterisks and answers EHLO itself with 500.
 */
export function startInspectedServer(style: "asa" | "pix" = "asa"): Promise<SmtpTestServer> {
  if (style === "pix") {
    return startSmtpServer({ banner: ["*****************************0*0*0****0****2*0*0*0**2"], ehloCode: 500, extensions: [] });
  }
  return startSmtpServer({
    extensions: ["SIZE 37748736", "PIPELINING", "DSN", "ENHANCEDSTATUSCODES", "XXXXXXXA", "XXXXXXXB", "8BITMIME", "XXXXXXXXXXXXXXXXXXXXX"],
  });
}

/**
 * A server that speaks TLS 1.0 and 1.1 only. Node 20's bundled OpenSSL 3 still
 * implements both, but refuses them below security level 0, hence the ciphers;
 * RSA, since not every build offers ECDSA suites at TLS 1.0.
 */
export function startLegacyTlsServer(certificate: { key: string; cert: string }): Promise<SmtpTestServer> {
  return startSmtpServer({
    tls: { key: certificate.key, cert: certificate.cert, minVersion: "TLSv1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" },
  });
}

/** A server that accepts the connection and never answers: a black-holing firewall or a hung service. */
export function startSilentServer(): Promise<SmtpTestServer> {
  return startSmtpServer({ silent: true });
}
