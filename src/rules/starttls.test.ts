/**
 * The probe rules on what the probe really saw: each test SMTP server on
 * 127.0.0.1 is probed, the results go into a state document as the CLI's
 * `probe --json` writes them, and the check reads them from there.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contosoPki, contosoStateDocument } from "../../test/support/hybrid-documents.js";
import { observations } from "../../test/support/observations.js";
import {
  type SmtpTestServer,
  serverCertificates,
  startInspectedServer,
  startLegacyTlsServer,
  startPlainServer,
  startStartTlsServer,
} from "../../test/support/smtp-servers.js";
import { evaluate } from "../check/evaluate.js";
import { observeOutside } from "../check/outside-view.js";
import { parseInventory } from "../inventory/parse.js";
import { type ProbeResult, probeSmtp } from "../probe/smtp-probe.js";

const AT = new Date("2026-11-22T06:00:00Z");
const servers: Record<string, SmtpTestServer> = {};
const probes: Record<string, ProbeResult> = {};

beforeAll(async () => {
  const certificates = serverCertificates();
  servers.good = await startStartTlsServer(certificates);
  servers.plain = await startPlainServer();
  servers.asa = await startInspectedServer("asa");
  servers.pix = await startInspectedServer("pix");
  servers.legacy = await startLegacyTlsServer(serverCertificates({ keyType: "rsa" }));
  for (const [name, server] of Object.entries(servers)) probes[name] = await probeSmtp(server.host, server.port, { timeoutMs: 2000 });
  // Nothing listens on port 1: as if port 25 were blocked where the probe ran.
  probes.unreachable = await probeSmtp("127.0.0.1", 1, { timeoutMs: 2000 });
});
afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.close()));
});

/** The findings of a check whose state document carries the probes named. */
async function findingsWith(...names: string[]) {
  const pki = contosoPki(AT);
  const cert = pki.leaf(pki.ca1, "mail.contoso.com", { from: -10, to: 300 });
  const document = {
    ...contosoStateDocument({ collectedAt: AT.toISOString(), installed: [cert], named: cert }),
    probes: names.map((n) => probes[n]),
  };
  // Through JSON, as an uploaded document arrives.
  const inventory = parseInventory(JSON.parse(JSON.stringify(document)), { source: "state.json" });
  const base = observations({}, {});
  // No DNS and no probe of its own: the check has only what the document carries.
  const outside = await observeOutside(inventory.hybrid, {});
  const { check } = evaluate({ ...base, tenant: inventory.tenant, at: AT, inventory, hybrid: inventory.hybrid, ...outside });
  return check.findings.filter((f) => f.subject.kind === "smtp-host").map((f) => `${f.rule} ${f.subject.name}`);
}

describe("the probe rules", () => {
  it("find nothing on a server that offers STARTTLS at TLS 1.2 or later, and nothing for a probe that could not connect", async () => {
    expect(probes.good).toMatchObject({ starttls: true, tls12OrLater: true });
    expect(probes.unreachable!.failedAt).toBe("connect");
    expect(await findingsWith("good", "unreachable")).toEqual([]);
  });

  it("find a server that offers no STARTTLS", async () => {
    expect(await findingsWith("plain")).toEqual([`starttls-missing 127.0.0.1:${servers.plain!.port}`]);
  });

  it("find an inspecting firewall, and do not also call it a missing STARTTLS", async () => {
    // Findings sort by subject, so by the ports the servers happened to get.
    expect((await findingsWith("asa", "pix")).sort()).toEqual(
      [`starttls-inspected 127.0.0.1:${servers.asa!.port}`, `starttls-inspected 127.0.0.1:${servers.pix!.port}`].sort(),
    );
  });

  it("find a server that cannot do TLS 1.2", async () => {
    expect(probes.legacy).toMatchObject({ tls12OrLater: false });
    expect(await findingsWith("legacy")).toEqual([`tls-version-outdated 127.0.0.1:${servers.legacy!.port}`]);
  });

  it("refuse a probe result that is not one, naming it", () => {
    const pki = contosoPki(AT);
    const cert = pki.leaf(pki.ca1, "mail.contoso.com", { from: -10, to: 300 });
    const document = { ...contosoStateDocument({ collectedAt: AT.toISOString(), installed: [cert], named: cert }), probes: [{ host: "x" }] };
    expect(() => parseInventory(document, { source: "state.json" })).toThrow(/^state\.json: probes\[0\]\.port: /);
  });
});
