/**
 * The STARTTLS probe: what an SMTP server really presents on the wire — its
 * banner, EHLO, STARTTLS, the TLS version, cipher and certificate — which no
 * configuration shows (a firewall that strips STARTTLS, a server stuck on
 * TLS 1.0, the certificate a smart host actually serves). It greets, asks for
 * STARTTLS, shakes hands and says QUIT: it never sends MAIL, RCPT or DATA,
 * and every step is time-limited, so it never hangs.
 *
 * @example
 * const result = await probeSmtp("mail.contoso.com", 25, { timeoutMs: 10_000 });
 * // { host, port, banner, ehlo: [...], starttls: true, ehloMasked: false, tlsVersion: "TLSv1.3", certificate: {...}, durationMs }
 */
import type { X509Certificate } from "node:crypto";
import net from "node:net";
import tls from "node:tls";
import { InputError } from "../errors.js";
import { daysLeft, sanDnsNames } from "../hybrid/certificate.js";
import { exchangeName } from "../hybrid/x500-name.js";
import { hasUnsafeCharacters } from "../validation.js";
import type { ProbeCertificate, ProbeResult } from "./probe-result.js";
import { Clock, ProbeStepError, withinLimit } from "./probe-steps.js";
import { describeReply, ReplyReader } from "./smtp-reply.js";

export { PROBE_STEPS, type ProbeCertificate, type ProbeResult, type ProbeStep, probeCertificateSchema, probeResultSchema } from "./probe-result.js";

export interface ProbeOptions {
  /** The longest one step may take: the connection, each reply, the TLS handshake. */
  timeoutMs: number;
  /** The whole probe, a second connection for the TLS 1.2 check included. Default: three steps' worth. */
  deadlineMs?: number | undefined;
  /** The name sent with EHLO. Default `mailflow-guard.invalid`, so the probe tells nothing about the machine it runs on. */
  ehloName?: string | undefined;
  /** Roots to verify the chain against instead of the system's. */
  ca?: tls.ConnectionOptions["ca"];
  /** Opens the TCP connection; default `net.connect`. */
  connect?: ((target: { host: string; port: number }) => net.Socket) | undefined;
}

const DEFAULT_EHLO_NAME = "mailflow-guard.invalid";
const EHLO_NAME = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/;
// A server that has answered everything deserves its 221, but not a long wait for it.
const QUIT_WAIT_MS = 1000;

/**
 * Probes one SMTP server. Network failures and refusals come back in the
 * result (`error`, `failedAt`); only bad arguments throw (InputError).
 */
export async function probeSmtp(host: string, port: number, options: ProbeOptions): Promise<ProbeResult> {
  checkArguments(host, port, options);
  const started = Date.now();
  const clock = new Clock(started, options.timeoutMs, options.deadlineMs ?? 3 * options.timeoutMs);
  const target = { host, port };
  const seen: Seen = {};
  let failure: ProbeStepError | undefined;
  try {
    await session(target, options, clock, "TLSv1", seen);
  } catch (error) {
    if (!(error instanceof ProbeStepError)) throw error;
    failure = error;
  }
  const tls12OrLater = seen.tls && (negotiatesTls12OrLater(seen.tls.version) || (await tls12Possible(target, options, clock)));
  return {
    host,
    port,
    banner: seen.banner ?? "",
    ehlo: seen.ehlo ?? [],
    starttls: seen.starttls ?? false,
    ehloMasked: looksInspected(seen.banner ?? "", seen.ehlo ?? []),
    ...(seen.tls && { tlsVersion: seen.tls.version, cipher: seen.tls.cipher }),
    ...(tls12OrLater !== undefined && { tls12OrLater }),
    ...(seen.tls?.certificate && { certificate: seen.tls.certificate }),
    ...(failure && { error: failure.message, failedAt: failure.step }),
    durationMs: Date.now() - started,
    probedAt: new Date(started).toISOString(),
  };
}

/**
 * Whether a negotiated version is TLS 1.2 or later, from node's names (`TLSv1`, `TLSv1.1`, `TLSv1.2`, `TLSv1.3`, `SSLv3`).
 *
 * @example negotiatesTls12OrLater("TLSv1.1") // false
 */
export function negotiatesTls12OrLater(version: string): boolean {
  const m = /^TLSv1(?:\.(\d+))?$/.exec(version);
  return m !== null && Number(m[1] ?? 0) >= 2;
}

/**
 * Whether the greeting or EHLO reply reads as an inspecting firewall rewrote
 * it. Cisco PIX/ASA SMTP inspection replaces the extensions it does not allow
 * (STARTTLS first) with X's of the same length — `XXXXXXXA`, `XXXXXXXB` — or a
 * whole line of X's, and with `mask-banner` turns the greeting into asterisks.
 * Exchange's own `XEXCH50`, `XRDST` or `X-ANONYMOUSTLS` are not masks.
 *
 * @example looksInspected("mail.contoso.com ESMTP", ["mail.contoso.com Hello", "XXXXXXXA", "8BITMIME"]) // true
 */
export function looksInspected(banner: string, ehlo: readonly string[]): boolean {
  const maskedLine = (text: string) => /^X{3,}[A-Z]?$/.test(text) || (/^[X\d\s]+$/.test(text) && /X{3}/.test(text));
  return /\*{4}/.test(banner) || ehlo.some((line) => maskedLine(line.trim()));
}

function checkArguments(host: string, port: number, options: ProbeOptions): void {
  if (host === "" || /\s/.test(host) || hasUnsafeCharacters(host)) throw new InputError(`${JSON.stringify(host)} is not a host name or address`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InputError(`port ${port} is not a TCP port (1–65535)`);
  for (const [name, ms] of [
    ["timeoutMs", options.timeoutMs],
    ["deadlineMs", options.deadlineMs],
  ] as const) {
    if (ms !== undefined && !(Number.isFinite(ms) && ms > 0)) throw new InputError(`${name} ${ms} is not a positive number of milliseconds`);
  }
  // The name goes into the command line sent to the server: a line break in it would add commands.
  if (options.ehloName !== undefined && !EHLO_NAME.test(options.ehloName)) {
    throw new InputError(`ehloName ${JSON.stringify(options.ehloName)} is not a domain name or address literal`);
  }
}

// ---- One SMTP session ------------------------------------------------------

interface TlsFacts {
  version: string;
  cipher: string;
  certificate: ProbeCertificate | undefined;
}

/** What one session saw, filled in as it goes, so a failure keeps what came before it. */
interface Seen {
  banner?: string;
  ehlo?: string[];
  starttls?: boolean;
  tls?: TlsFacts;
}

type Target = { host: string; port: number };

/** Connect, banner, EHLO, STARTTLS, handshake, QUIT; `floor` is the lowest TLS version offered. */
async function session(target: Target, options: ProbeOptions, clock: Clock, floor: tls.SecureVersion, seen: Seen): Promise<void> {
  const raw = await connect(target, options, clock);
  // Undefined while the handshake runs: a connection cut mid-handshake takes no QUIT.
  let socket: net.Socket | undefined = raw;
  let reader = new ReplyReader(raw);
  let finished = false;
  try {
    const banner = await reader.next(clock.limit(), "banner", "banner");
    seen.banner = banner.lines.join("\n");
    if (banner.code !== 220) throw new ProbeStepError("banner", `the server greets with ${describeReply(banner)}, not 220: it takes no mail now`);
    raw.write(`EHLO ${options.ehloName ?? DEFAULT_EHLO_NAME}\r\n`);
    const ehlo = await reader.next(clock.limit(), "ehlo", "EHLO reply");
    seen.ehlo = ehlo.lines;
    if (ehlo.code !== 250) throw new ProbeStepError("ehlo", `EHLO refused: ${describeReply(ehlo)}`);
    seen.starttls = ehlo.lines.slice(1).some((line) => line.trim().split(/\s+/)[0]?.toUpperCase() === "STARTTLS");
    if (!seen.starttls) {
      finished = true;
      return;
    }
    raw.write("STARTTLS\r\n");
    const ready = await reader.next(clock.limit(), "starttls", "STARTTLS reply");
    if (ready.code !== 220) throw new ProbeStepError("starttls", `STARTTLS refused: ${describeReply(ready)}`);
    // Whatever came after the 220 in plain text is dropped, as RFC 3207 §4.2 asks (it could be injected).
    reader.detach();
    socket = undefined;
    const secure = await upgrade(raw, target, options, clock, floor);
    socket = secure;
    reader = new ReplyReader(secure);
    seen.tls = tlsFacts(secure);
    finished = true;
  } finally {
    quit(socket, reader, finished ? Math.min(clock.limit().ms, QUIT_WAIT_MS) : 0);
  }
}

/** A second session that offers TLS 1.2 and later only: true when its handshake succeeds, false when the server refuses it. */
async function tls12Possible(target: Target, options: ProbeOptions, clock: Clock): Promise<boolean | undefined> {
  const seen: Seen = {};
  try {
    await session(target, options, clock, "TLSv1.2", seen);
    return seen.tls ? true : undefined;
  } catch (error) {
    if (!(error instanceof ProbeStepError)) throw error;
    // A refused handshake answers the question; a timeout or a lost connection does not.
    return error.step === "tls" && !error.timedOut ? false : undefined;
  }
}

async function connect(target: Target, options: ProbeOptions, clock: Clock): Promise<net.Socket> {
  const socket = (options.connect ?? ((t) => net.connect(t)))(target);
  const connected = new Promise<void>((resolve, reject) => {
    if (!socket.pending) resolve();
    socket.once("connect", () => resolve());
    socket.once("error", reject);
  });
  try {
    await withinLimit(
      clock.limit(),
      "connect",
      (phrase) =>
        `probe unavailable: no TCP connection ${phrase}; the port may be blocked on the way ` +
        "(Azure blocks outbound port 25 from most subscriptions)",
      connected,
      () => socket.destroy(),
    );
  } catch (error) {
    socket.destroy();
    throw error instanceof ProbeStepError ? error : new ProbeStepError("connect", connectFailure(error));
  }
  // Errors surface through the reader, or through the TLS socket once it wraps this one; one arriving late must not crash the process.
  socket.on("error", () => {});
  return socket;
}

function connectFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "ECONNREFUSED":
      return "the connection was refused: nothing listens on the port, or a firewall rejects it";
    case "ENOTFOUND":
      return "the host name does not resolve (ENOTFOUND)";
    case "EAI_AGAIN":
      return "the host name could not be resolved: DNS did not answer (EAI_AGAIN)";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `probe unavailable: no route to the host (${code})`;
    default:
      return `the connection failed (${code ?? (error as Error).message})`;
  }
}

async function upgrade(raw: net.Socket, target: Target, options: ProbeOptions, clock: Clock, floor: tls.SecureVersion): Promise<tls.TLSSocket> {
  const secure = tls.connect({
    socket: raw,
    // SNI takes host names only (RFC 6066 §3).
    ...(net.isIP(target.host) === 0 && { servername: target.host }),
    // The probe reports the chain rather than refusing it, and the name is checked by the rules against the connector's domain.
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
    ...(options.ca !== undefined && { ca: options.ca }),
    minVersion: floor,
    // OpenSSL 3 refuses TLS 1.0/1.1 and their ciphers at its default security level; level 0 lets the probe see an old server.
    ...(floor !== "TLSv1.2" && { ciphers: "DEFAULT@SECLEVEL=0" }),
  });
  const handshake = new Promise<void>((resolve, reject) => {
    secure.once("secureConnect", () => resolve());
    secure.once("error", reject);
    secure.once("close", () => reject(new Error("the server closed the connection")));
  });
  try {
    await withinLimit(
      clock.limit(),
      "tls",
      (phrase) => `no TLS handshake ${phrase}`,
      handshake,
      () => secure.destroy(),
    );
    return secure;
  } catch (error) {
    secure.destroy();
    raw.destroy();
    if (error instanceof ProbeStepError) throw error;
    const reason = (error as { reason?: string }).reason ?? (error as Error).message;
    throw new ProbeStepError("tls", `TLS handshake failed: ${reason}`);
  }
}

function tlsFacts(secure: tls.TLSSocket): TlsFacts {
  const cipher = secure.getCipher();
  const x509 = secure.getPeerX509Certificate();
  return {
    version: secure.getProtocol() ?? "unknown",
    cipher: cipher.standardName ?? cipher.name,
    certificate: x509 && describeCertificate(x509, secure),
  };
}

function describeCertificate(x509: X509Certificate, secure: tls.TLSSocket): ProbeCertificate {
  const notAfter = new Date(x509.validTo);
  return {
    // node gives undefined, whatever its types say, for an empty Name.
    subject: exchangeName(x509.subject ?? ""),
    issuer: exchangeName(x509.issuer ?? ""),
    sans: dnsNames(x509.subjectAltName),
    notBefore: new Date(x509.validFrom).toISOString(),
    notAfter: notAfter.toISOString(),
    daysLeft: daysLeft({ notAfter }, new Date()),
    fingerprintSha256: x509.fingerprint256.replaceAll(":", "").toUpperCase(),
    thumbprint: x509.fingerprint.replaceAll(":", "").toUpperCase(),
    chainValid: secure.authorized,
    ...(!secure.authorized && { chainError: String(secure.authorizationError) }),
  };
}

/** The certificate's DNS names; text node writes that cannot be read gives none rather than a failed probe. */
function dnsNames(subjectAltName: string | undefined): string[] {
  try {
    return sanDnsNames(subjectAltName);
  } catch {
    return [];
  }
}

/** Says QUIT if the connection still takes it, waits up to `waitMs` for the 221, and closes. Never throws. */
function quit(socket: net.Socket | undefined, reader: ReplyReader, waitMs: number): void {
  if (socket === undefined || socket.destroyed || !socket.writable) {
    reader.detach();
    socket?.destroy();
    return;
  }
  socket.write("QUIT\r\n");
  const close = () => {
    reader.detach();
    socket.end();
    // A server that keeps the connection open after QUIT must not keep the process alive.
    setTimeout(() => socket.destroy(), QUIT_WAIT_MS).unref();
  };
  if (waitMs === 0) close();
  // The 221 or its absence changes nothing: the connection closes either way.
  else reader.next({ ms: waitMs, phrase: "" }, "tls", "QUIT reply").then(close, close);
}
