import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type SmtpTestServer,
  serverCertificates,
  startInspectedServer,
  startLegacyTlsServer,
  startPlainServer,
  startSilentServer,
  startStartTlsServer,
} from "../../test/support/smtp-servers.js";
import { InputError } from "../errors.js";
import { looksInspected, negotiatesTls12OrLater, type ProbeResult, probeResultSchema, probeSmtp } from "./smtp-probe.js";

const EHLO = "EHLO mailflow-guard.invalid";
const certificates = serverCertificates();

/** Probes and waits until the server has seen the connection close, so its record is complete. */
async function probe(server: SmtpTestServer, options: Partial<Parameters<typeof probeSmtp>[2]> = {}): Promise<ProbeResult> {
  const result = await probeSmtp(server.host, server.port, { timeoutMs: 2000, ...options });
  await server.idle();
  expect(probeResultSchema.parse(result)).toEqual(result);
  expect(server.commands.filter((c) => /^(MAIL|RCPT|DATA)\b/i.test(c))).toEqual([]);
  return result;
}

describe("a server that offers STARTTLS", () => {
  let server: SmtpTestServer;
  beforeAll(async () => {
    server = await startStartTlsServer(certificates);
  });
  afterAll(() => server.close());

  it("reads the banner, EHLO, TLS version, cipher and certificate, and says QUIT", async () => {
    const before = server.sessions.length;
    const result = await probe(server, { ca: certificates.ca.pem });
    const { leaf } = certificates;
    expect(result).toMatchObject({
      host: "127.0.0.1",
      port: server.port,
      banner: "mail.contoso.test Microsoft ESMTP MAIL Service ready",
      starttls: true,
      ehloMasked: false,
      tlsVersion: "TLSv1.3",
      tls12OrLater: true,
      certificate: {
        subject: 'CN=mail.contoso.test, O="Contoso, Ltd", C=US',
        issuer: "CN=Contoso Test Root CA, O=Contoso Test, C=US",
        sans: ["mail.contoso.test", "autodiscover.contoso.test"],
        notBefore: new Date(leaf.x509.validFrom).toISOString(),
        notAfter: new Date(leaf.x509.validTo).toISOString(),
        daysLeft: 90,
        fingerprintSha256: leaf.x509.fingerprint256.replaceAll(":", ""),
        thumbprint: leaf.x509.fingerprint.replaceAll(":", ""),
        chainValid: true,
      },
    });
    expect(result.ehlo).toEqual(["mail.contoso.test Hello [127.0.0.1]", expect.any(String), ...result.ehlo.slice(2)]);
    expect(result.ehlo).toContain("STARTTLS");
    expect(result.cipher).toMatch(/^TLS_AES_/);
    expect(result.certificate).not.toHaveProperty("chainError");
    expect(result).not.toHaveProperty("error");
    // TLS 1.3 answered the version question: one connection, no SNI for an address.
    expect(server.sessions.slice(before)).toEqual([{ commands: [EHLO, "STARTTLS", "QUIT"], servername: false, tlsVersion: "TLSv1.3" }]);
  });

  it("reports a chain that does not verify against the system roots, and still reads the certificate", async () => {
    const result = await probe(server);
    expect(result.certificate).toMatchObject({ chainValid: false, chainError: "UNABLE_TO_VERIFY_LEAF_SIGNATURE", daysLeft: 90 });
    expect(result).not.toHaveProperty("error");
  });

  it("sends the host name as SNI and the EHLO name it is given", async () => {
    const before = server.sessions.length;
    await probeSmtp("mail.contoso.test", 25, {
      timeoutMs: 2000,
      ehloName: "probe.contoso.test",
      connect: () => net.connect({ host: server.host, port: server.port }),
    });
    await server.idle();
    expect(server.sessions.slice(before)).toMatchObject([
      { commands: ["EHLO probe.contoso.test", "STARTTLS", "QUIT"], servername: "mail.contoso.test" },
    ]);
  });

  it("stops at the overall deadline even when every reply comes within the step timeout", async () => {
    const slow = await startStartTlsServer(certificates, { delayMs: 200 });
    try {
      // The banner comes at 200 ms, within both limits; the EHLO reply would come at 400 ms, past the overall 300 ms.
      const result = await probe(slow, { timeoutMs: 1000, deadlineMs: 300 });
      expect(result).toMatchObject({
        banner: "mail.contoso.test Microsoft ESMTP MAIL Service ready",
        ehlo: [],
        starttls: false,
        error: "no EHLO reply before the probe's overall limit of 0.3 s",
        failedAt: "ehlo",
      });
      expect(result.durationMs).toBeLessThan(1000);
      expect(slow.commands).toEqual([EHLO, "QUIT"]);
    } finally {
      await slow.close();
    }
  });
});

describe("servers that give no certificate", () => {
  it("a server without STARTTLS: EHLO, then QUIT", async () => {
    const server = await startPlainServer();
    try {
      const result = await probe(server);
      expect(result).toMatchObject({ starttls: false, ehloMasked: false });
      expect(result.ehlo).not.toContain("STARTTLS");
      for (const key of ["tlsVersion", "cipher", "tls12OrLater", "certificate", "error", "failedAt"]) expect(result).not.toHaveProperty(key);
      expect(server.commands).toEqual([EHLO, "QUIT"]);
    } finally {
      await server.close();
    }
  });

  it("behind Cisco ASA inspection: the masked EHLO is recognised and STARTTLS is not there", async () => {
    const server = await startInspectedServer("asa");
    try {
      const result = await probe(server);
      expect(result).toMatchObject({ starttls: false, ehloMasked: true });
      expect(result.ehlo).toContain("XXXXXXXA");
      expect(result).not.toHaveProperty("error");
      expect(server.commands).toEqual([EHLO, "QUIT"]);
    } finally {
      await server.close();
    }
  });

  it("behind PIX fixup: a masked banner and EHLO refused by the firewall", async () => {
    const server = await startInspectedServer("pix");
    try {
      const result = await probe(server);
      expect(result).toMatchObject({ starttls: false, ehloMasked: true, failedAt: "ehlo" });
      expect(result.banner).toMatch(/^\*{20}/);
      expect(result.error).toMatch(/^EHLO refused: 500 /);
      expect(server.commands).toEqual([EHLO, "QUIT"]);
    } finally {
      await server.close();
    }
  });

  it("a server that accepts and never answers: no banner within the timeout, and the probe returns", async () => {
    const server = await startSilentServer();
    try {
      const result = await probe(server, { timeoutMs: 200 });
      expect(result).toMatchObject({ banner: "", ehlo: [], starttls: false, error: "no banner within 0.2 s", failedAt: "banner" });
      expect(result.durationMs).toBeGreaterThanOrEqual(190);
      expect(result.durationMs).toBeLessThan(1000);
      expect(server.commands).toEqual(["QUIT"]);
    } finally {
      await server.close();
    }
  });

  it("a peer that is not SMTP, and one that hangs up at once", async () => {
    const http = net.createServer((socket) => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
    const hangUp = net.createServer((socket) => socket.end());
    try {
      for (const server of [http, hangUp]) await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const port = (server: net.Server) => (server.address() as net.AddressInfo).port;
      expect(await probeSmtp("127.0.0.1", port(http), { timeoutMs: 2000 })).toMatchObject({
        error: 'the banner is not SMTP: "HTTP/1.1 400 Bad Request"',
        failedAt: "banner",
      });
      expect(await probeSmtp("127.0.0.1", port(hangUp), { timeoutMs: 2000 })).toMatchObject({
        error: "the server closed the connection before its banner",
        failedAt: "banner",
      });
    } finally {
      for (const server of [http, hangUp]) server.close();
    }
  });
});

describe("a server that speaks TLS 1.0 and 1.1 only", () => {
  // This machine's OpenSSL (node 20's bundled 3.0) still negotiates TLS 1.1 at security level 0, so the handshake is real.
  it("negotiates TLS 1.1, reads the certificate, and finds TLS 1.2 refused on a second connection", async () => {
    const rsa = serverCertificates({ keyType: "rsa" });
    const server = await startLegacyTlsServer(rsa);
    try {
      const result = await probe(server, { ca: rsa.ca.pem });
      expect(result).toMatchObject({ starttls: true, tlsVersion: "TLSv1.1", tls12OrLater: false, certificate: { chainValid: true } });
      expect(result).not.toHaveProperty("error");
      // The second connection's handshake fails, so it ends without a QUIT: there is no channel to say it on.
      expect(server.sessions).toMatchObject([
        { commands: [EHLO, "STARTTLS", "QUIT"], tlsVersion: "TLSv1.1" },
        { commands: [EHLO, "STARTTLS"], tlsError: expect.any(String) },
      ]);
      expect(server.sessions[1]).not.toHaveProperty("tlsVersion");
    } finally {
      await server.close();
    }
  });

  it("decides the version on the recorded handshake result", () => {
    expect(["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3", "unknown"].map(negotiatesTls12OrLater)).toEqual([
      false,
      false,
      false,
      true,
      true,
      false,
    ]);
  });
});

describe("connection failures are the probe's, not the server's certificate", () => {
  it("a refused connection", async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as net.AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const result = await probeSmtp("127.0.0.1", port, { timeoutMs: 2000 });
    expect(result).toMatchObject({
      error: "the connection was refused: nothing listens on the port, or a firewall rejects it",
      failedAt: "connect",
      starttls: false,
    });
    expect(result).not.toHaveProperty("certificate");
  });

  it("a name that does not resolve", async () => {
    const result = await probeSmtp("nowhere.contoso.test", 25, {
      timeoutMs: 2000,
      // The lookup fails here, so no resolver is asked.
      connect: (target) =>
        net.connect({
          ...target,
          lookup: ((hostname: string, _options: unknown, callback: (error: Error) => void) =>
            callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }))) as unknown as net.LookupFunction,
        }),
    });
    expect(result).toMatchObject({ error: "the host name does not resolve (ENOTFOUND)", failedAt: "connect" });
  });

  it("a connection that never completes, as behind a port-25 block", async () => {
    // A socket never asked to connect stands in for SYNs that go unanswered.
    const result = await probeSmtp("mail.contoso.test", 25, { timeoutMs: 200, connect: () => new net.Socket() });
    expect(result).toMatchObject({
      error:
        "probe unavailable: no TCP connection within 0.2 s; the port may be blocked on the way " +
        "(Azure blocks outbound port 25 from most subscriptions)",
      failedAt: "connect",
    });
    expect(result.durationMs).toBeLessThan(1000);
  });
});

describe("looksInspected", () => {
  it("recognises the masks of Cisco PIX/ASA inspection", () => {
    expect(looksInspected("mail.contoso.com", ["mail.contoso.com Hello", "XXXXXXXA", "XXXXXXXB"])).toBe(true);
    expect(looksInspected("mail.contoso.com", ["mail.contoso.com Hello", "XXXXXXXXXXXXXXXXXXXX 0000"])).toBe(true);
    expect(looksInspected("******************************0*0*0****", [])).toBe(true);
  });

  it("leaves Exchange's own X-extensions alone", () => {
    const exchange = [
      "EX01.contoso.com Hello [10.0.0.1]",
      "SIZE 37748736",
      "X-ANONYMOUSTLS",
      "X-EXPS GSSAPI NTLM",
      "XRDST",
      "XEXCH50",
      "XSHADOWREQUEST",
    ];
    expect(looksInspected("EX01.contoso.com Microsoft ESMTP MAIL Service ready at Mon, 2 Jun 2025 10:00:00 +0000", exchange)).toBe(false);
  });
});

describe("arguments", () => {
  it("refuses what would put a second command on the wire, and ports that are none", async () => {
    await expect(probeSmtp("127.0.0.1", 25, { timeoutMs: 100, ehloName: "x\r\nMAIL FROM:<a@b>" })).rejects.toThrow(InputError);
    await expect(probeSmtp("127.0.0.1", 0, { timeoutMs: 100 })).rejects.toThrow("port 0 is not a TCP port (1–65535)");
    await expect(probeSmtp("127.0.0.1", 25, { timeoutMs: 0 })).rejects.toThrow("timeoutMs 0 is not a positive number of milliseconds");
  });
});
