/**
 * The smart-host and blocklist rules on what DNS and the wire really said: a
 * DNS server on 127.0.0.1 serves the smart hosts' zones and the blocklists,
 * STARTTLS servers on 127.0.0.1 stand behind the names it hands out, and the
 * check's own probes and those uploaded with the state document meet in one
 * observation.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DnsServer, startDnsServer } from "../../test/support/dns-server.js";
import { contosoPki, contosoStateDocument } from "../../test/support/hybrid-documents.js";
import { observations } from "../../test/support/observations.js";
import { type SmtpTestServer, startStartTlsServer } from "../../test/support/smtp-servers.js";
import { evaluate } from "../check/evaluate.js";
import { observeOutside } from "../check/outside-view.js";
import type { CheckReport } from "../core/check.js";
import { createDnsClient } from "../dns/dns-client.js";
import { parseInventory } from "../inventory/parse.js";
import { markdownReport } from "../outputs/markdown.js";
import { probeSmtp } from "../probe/smtp-probe.js";

const AT = new Date("2026-11-22T06:00:00Z");
const pki = contosoPki(AT);
const named = pki.leaf(pki.ca1, "mail.contoso.com", { from: -10, to: 300 }, ["mail.contoso.com", "mail1.contoso.com", "mail2.contoso.com"]);
// What a load balancer in front of Exchange might answer with instead.
const other = pki.leaf(pki.ca2, "lb.contoso.com", { from: -10, to: 300 });
const trusted = [pki.root.pem, pki.ca1.pem, pki.ca2.pem];

let dnsServer: DnsServer;
const smtp: Record<string, SmtpTestServer> = {};

beforeAll(async () => {
  dnsServer = await startDnsServer({
    "mail.contoso.com": { A: ["203.0.113.25"] },
    "ha.contoso.com": {
      MX: [
        [10, "mail1.contoso.com"],
        [10, "mail2.contoso.com"],
        [20, "dr.contoso.com"],
      ],
    },
    "flat.contoso.com": {
      MX: [
        [10, "mail1.contoso.com"],
        [10, "dr.contoso.com"],
      ],
    },
    "site.contoso.com": {
      MX: [
        [10, "mail1.contoso.com"],
        [10, "mail2.contoso.com"],
      ],
    },
    "shared.contoso.com": {
      MX: [
        [10, "mail1.contoso.com"],
        [20, "alias.contoso.com"],
      ],
    },
    "mail1.contoso.com": { A: ["203.0.113.10"] },
    "mail2.contoso.com": { A: ["203.0.113.11"] },
    "alias.contoso.com": { A: ["203.0.113.10"] },
    "dr.contoso.com": { A: ["198.51.100.20"] },
    "broken.contoso.com": { rcode: "SERVFAIL" },
    // One MX host answers, the other's lookup fails: not "one address only".
    "half.contoso.com": {
      MX: [
        [10, "mail.contoso.com"],
        [20, "broken.contoso.com"],
      ],
    },
    "25.113.0.203.bl.example": { A: ["127.0.0.2"], TXT: ["Listed: https://bl.example/lookup?ip=203.0.113.25"] },
    "25.113.0.203.refusing.example": { A: ["127.255.255.254"] },
  });
  smtp.named = await startStartTlsServer({ key: privateKeyPem(named), cert: named.pem });
  smtp.other = await startStartTlsServer({ key: privateKeyPem(other), cert: other.pem });
});
afterAll(async () => {
  await dnsServer.close();
  await Promise.all(Object.values(smtp).map((s) => s.close()));
});

function privateKeyPem(c: typeof named): string {
  return c.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
}

interface Case {
  smartHosts: string[];
  tlsDomain?: string;
  /** Which local server answers for each host name; a host left out cannot be reached (as with port 25 blocked). */
  answering?: Record<string, SmtpTestServer | undefined>;
  /** Verify against the test PKI's roots (a publicly trusted certificate), or the system's. */
  trustTestPki?: boolean;
  uploaded?: unknown[];
  egress?: string[];
  blocklists?: string[];
}

/** A check of the contoso document with the outbound connector's smart hosts set, DNS asked, and the hosts probed as the case says. */
async function check(c: Case): Promise<CheckReport> {
  const document = contosoStateDocument({ collectedAt: AT.toISOString(), installed: [named, other], named, tlsDomain: c.tlsDomain });
  document.exchangeOnline.outboundConnectors[0]!.SmartHosts = c.smartHosts;
  const inventory = parseInventory(JSON.parse(JSON.stringify({ ...document, probes: c.uploaded, egressAddresses: c.egress })), {
    source: "state.json",
  });
  const answering = c.answering;
  const outside = await observeOutside(inventory.hybrid, {
    dns: createDnsClient({ servers: [dnsServer.address], timeoutMs: 500, tries: 1 }),
    probe: answering
      ? (host, port) =>
          probeSmtp(host, port, {
            timeoutMs: 2000,
            ca: c.trustTestPki ? trusted : undefined,
            // The name is probed as given; the connection goes to the server that stands for it (port 1: nothing listens).
            connect: () => net.connect(answering[host]?.port ?? 1, "127.0.0.1"),
          })
      : undefined,
    outside: { blocklists: c.blocklists ?? [], egressAddresses: [] },
  });
  const base = observations({}, {});
  return evaluate({ ...base, tenant: inventory.tenant, at: AT, inventory, hybrid: inventory.hybrid, ...outside }).check.report;
}

const OUTSIDE_RULES = /^(smart-host|egress-ip|starttls|tls-version)/;
const found = (r: CheckReport) => r.findings.filter((f) => OUTSIDE_RULES.test(f.rule)).map((f) => `${f.rule} ${f.severity} ${f.subject.name}`);
const CONNECTOR = "Outbound to 5c2e0d6a-1f3b-4e8a-9c7d-2b6f4a1e9d30";

describe("smart hosts in DNS", () => {
  it("find nothing for two hosts at 10 and a DR host at 20, nor for one site's hosts at one preference", async () => {
    expect(found(await check({ smartHosts: ["ha.contoso.com"] }))).toEqual([]);
    expect(found(await check({ smartHosts: ["site.contoso.com"] }))).toEqual([]);
  });

  it("find every route ending at one address: one A record, or MX hosts that share one", async () => {
    const single = await check({ smartHosts: ["mail.contoso.com"] });
    expect(found(single)).toEqual([`smart-host-no-failover warning ${CONNECTOR}`]);
    expect(single.findings.find((f) => f.rule === "smart-host-no-failover")?.summary).toContain("one address only (203.0.113.25");
    expect(found(await check({ smartHosts: ["shared.contoso.com"] }))).toEqual([`smart-host-no-failover warning ${CONNECTOR}`]);
  });

  it("find an MX zone whose hosts in different networks share one preference: no primary/DR order", async () => {
    const report = await check({ smartHosts: ["flat.contoso.com"] });
    expect(found(report)).toEqual([`smart-host-no-failover warning ${CONNECTOR}`]);
    expect(report.findings.find((f) => f.rule === "smart-host-no-failover")?.summary).toContain(
      "2 MX records all have preference 10, across 2 networks (198.51.100.0/24, 203.0.113.0/24)",
    );
  });

  it("find a smart host that does not exist: an error when nothing is left, a warning when another still resolves", async () => {
    const dead = await check({ smartHosts: ["gone.contoso.com"] });
    expect(found(dead)).toEqual([`smart-host-unresolvable error ${CONNECTOR}`]);
    expect(dead.findings[0]?.summary).toContain("gone.contoso.com: the name does not exist (NXDOMAIN)");
    expect(found(await check({ smartHosts: ["gone.contoso.com", "ha.contoso.com"] }))).toEqual([`smart-host-unresolvable warning ${CONNECTOR}`]);
  });

  it("judge nothing DNS gave no answer for, and say so in the report", async () => {
    const report = await check({ smartHosts: ["broken.contoso.com"] });
    expect(found(report)).toEqual([]);
    expect(found(await check({ smartHosts: ["half.contoso.com"] }))).toEqual([]);
    expect(markdownReport.render({ report } as never)).toContain("`broken.contoso.com`: unknown: MX lookup: the server failed (SERVFAIL)");
  });
});

describe("what the smart hosts present", () => {
  it("find nothing when each host presents the certificate on-premises names, trusted and matching TlsDomain", async () => {
    const report = await check({
      smartHosts: ["site.contoso.com"],
      answering: { "mail1.contoso.com": smtp.named, "mail2.contoso.com": smtp.named },
      trustTestPki: true,
    });
    expect(found(report)).toEqual([]);
    expect(report.evidence.outside?.probes.results.map((p) => `${p.host} ${p.source} ${p.certificate}`)).toEqual([
      "mail1.contoso.com check CN=mail.contoso.com, O=Contoso Ltd, C=US",
      "mail2.contoso.com check CN=mail.contoso.com, O=Contoso Ltd, C=US",
    ]);
  });

  it("find a host that presents another certificate: not TlsDomain's name, not the one on-premises names", async () => {
    const report = await check({
      smartHosts: ["site.contoso.com"],
      answering: { "mail1.contoso.com": smtp.named, "mail2.contoso.com": smtp.other },
      trustTestPki: true,
    });
    expect(found(report)).toEqual(["smart-host-certificate-mismatch error mail2.contoso.com:25"]);
    const summary = report.findings.find((f) => f.rule === "smart-host-certificate-mismatch")?.summary ?? "";
    expect(summary).toContain(`does not match ${CONNECTOR}'s TlsDomain mail.contoso.com`);
    expect(summary).toContain(`not the certificate on-premises names for mail from Exchange Online (${named.thumbprint})`);
  });

  it("find a certificate that is not publicly trusted when the connector validates it", async () => {
    const report = await check({ smartHosts: ["mail1.contoso.com"], answering: { "mail1.contoso.com": smtp.named } });
    expect(found(report)).toContain("smart-host-certificate-mismatch error mail1.contoso.com:25");
    expect(report.findings.find((f) => f.rule === "smart-host-certificate-mismatch")?.summary).toMatch(
      /not publicly trusted \(UNABLE_TO_GET_ISSUER_CERT_LOCALLY|not publicly trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE/,
    );
  });

  it("report a host its own probe cannot reach as probe unavailable, and let the uploaded result stand in", async () => {
    const uploaded = await probeSmtp("mail2.contoso.com", 25, {
      timeoutMs: 2000,
      ca: trusted,
      connect: () => net.connect(smtp.other!.port, "127.0.0.1"),
    });
    const report = await check({
      smartHosts: ["site.contoso.com"],
      answering: { "mail1.contoso.com": smtp.named },
      trustTestPki: true,
      uploaded: [uploaded],
    });
    expect(report.evidence.outside?.probes.unavailable).toEqual([
      { host: "mail2.contoso.com", port: 25, error: expect.stringMatching(/ECONNREFUSED|refused/) },
    ]);
    expect(report.evidence.outside?.probes.results.map((p) => `${p.host} ${p.source}`)).toEqual([
      "mail2.contoso.com document",
      "mail1.contoso.com check",
    ]);
    // The uploaded probe of mail2 still counts: it presents the load balancer's certificate.
    expect(found(report)).toEqual(["smart-host-certificate-mismatch error mail2.contoso.com:25"]);
    expect(markdownReport.render({ report } as never)).toContain("mail2.contoso.com:25 probe unavailable from here");
  });

  it("never calls an unreachable host a certificate problem", async () => {
    const report = await check({ smartHosts: ["site.contoso.com"], answering: {} });
    expect(found(report)).toEqual([]);
    expect(report.evidence.outside?.probes.unavailable.map((u) => u.host)).toEqual(["mail1.contoso.com", "mail2.contoso.com"]);
  });
});

describe("egress addresses on DNS blocklists", () => {
  it("find a listed address with the list's reason; a refusal is unknown, never a listing", async () => {
    const report = await check({
      smartHosts: ["ha.contoso.com"],
      egress: ["203.0.113.25", "10.0.0.25"],
      blocklists: ["bl.example", "refusing.example", "clean.example"],
    });
    expect(found(report)).toEqual(["egress-ip-blocklisted error 203.0.113.25"]);
    const listed = report.findings.find((f) => f.rule === "egress-ip-blocklisted");
    expect(listed?.summary).toBe("The egress address 203.0.113.25 is listed on bl.example.");
    expect(listed?.evidence).toEqual({
      listings: [{ zone: "bl.example", answers: ["127.0.0.2"], reason: "Listed: https://bl.example/lookup?ip=203.0.113.25" }],
    });
    // The private address is never sent to a blocklist.
    expect(dnsServer.questions.filter((q) => q.includes("25.0.0.10."))).toEqual([]);
    const md = markdownReport.render({ report } as never);
    expect(md).toContain("203.0.113.25 unknown on refusing.example (the list refuses queries through public or open resolvers (127.255.255.254))");
    expect(md).toContain("1 lookup not listed");
  });

  it("find nothing when the only answer is a refusal", async () => {
    expect(found(await check({ smartHosts: ["ha.contoso.com"], egress: ["203.0.113.25"], blocklists: ["refusing.example"] }))).toEqual([]);
  });
});
