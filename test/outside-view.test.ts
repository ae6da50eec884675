/**
 * The outside view through the functions, on Azurite: the state document
 * uploaded to /api/inventory, the daily timer and the queue worker with DNS
 * asked through the resolvers the settings name (a DNS server on 127.0.0.1),
 * and port 25 left alone as on most Azure subscriptions.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { outsideDeps } from "../src/check/outside-sources.js";
import { loadArtifacts } from "../src/check/report-store.js";
import { settingsFromEnv } from "../src/config.js";
import type { CheckReport } from "../src/core/check.js";
import { startFeedServer } from "../src/feed/stand-in-service.js";
import { driftCheckQueueOutput } from "../src/handlers/bindings.js";
import { dailyDriftCheck } from "../src/handlers/daily-drift-check.js";
import type { DriftCheckMessage, HandlerDeps } from "../src/handlers/deps.js";
import { driftCheckWorker } from "../src/handlers/drift-check-worker.js";
import { uploadInventory } from "../src/handlers/inventory-upload.js";
import { handlerDepsFromEnv } from "../src/handlers/runtime.js";
import { type DnsServer, startDnsServer } from "./support/dns-server.js";
import { worldwide } from "./support/feed.js";
import { azuriteDeps, invocation, request, timer } from "./support/handlers.js";
import { contosoPki, contosoStateDocument } from "./support/hybrid-documents.js";

const TENANT = "contoso.onmicrosoft.com";
const clock = { now: new Date("2026-11-20T06:00:00Z") };
const pki = contosoPki(clock.now);
const cert = pki.leaf(pki.ca1, "mail.contoso.com", { from: -30, to: 300 });

let feed: Awaited<ReturnType<typeof startFeedServer>>;
let dns: DnsServer;
let deps: HandlerDeps;
const getDeps = async () => deps;

beforeAll(async () => {
  feed = await startFeedServer({ Worldwide: { version: "2025060100", endpoints: worldwide() } });
  dns = await startDnsServer({
    "mail.contoso.com": { A: ["203.0.113.25"] },
    "25.113.0.203.bl.example": { A: ["127.0.0.3"], TXT: ["Listed since 2026-11-19"] },
  });
  const base = await azuriteDeps(feed.url, clock);
  const settings = settingsFromEnv({
    M365_ENDPOINTS_BASE_URL: feed.url,
    MAILFLOW_GUARD_DNS_SERVERS: dns.address,
    MAILFLOW_GUARD_BLOCKLISTS: "bl.example",
  });
  // As the function app builds them: DNS always, port 25 only where the setting allows it (here it does not).
  deps = { ...base, settings, ...outsideDeps(settings, { dns: true, probe: settings.outside.probeSmartHosts }) };
});
afterAll(async () => {
  await feed.close();
  await dns.close();
});

describe("the daily check from the outside", () => {
  it("turns DNS answers into findings: one address for the smart host, the egress address the document names on a blocklist", async () => {
    const document = {
      ...contosoStateDocument({ collectedAt: "2026-11-20T05:00:00Z", installed: [cert], named: cert }),
      egressAddresses: ["203.0.113.25"],
    };
    const upload = await uploadInventory(getDeps)(
      request("POST", "https://mfg.example.net/api/inventory", { body: JSON.stringify(document) }),
      invocation("inventory").context,
    );
    expect(upload.status, JSON.stringify(upload.jsonBody)).toBe(201);
    const { context } = invocation("dailyDriftCheck");
    await dailyDriftCheck(getDeps, driftCheckQueueOutput)(timer, context);
    const [message] = context.extraOutputs.get(driftCheckQueueOutput) as DriftCheckMessage[];
    await driftCheckWorker(getDeps)(message!, invocation("driftCheckWorker").context);
    const artifacts = (await loadArtifacts(deps.store, TENANT, message!.runId))!;
    const report = JSON.parse(artifacts["report.json"]!) as CheckReport;
    expect(report.findings.map((f) => `${f.rule} ${f.subject.name}`)).toEqual([
      "egress-ip-blocklisted 203.0.113.25",
      "smart-host-no-failover Outbound to 5c2e0d6a-1f3b-4e8a-9c7d-2b6f4a1e9d30",
    ]);
    expect(report.status).toBe("drift");
    expect(report.evidence.outside?.dns?.servers).toBe(dns.address);
    expect(report.evidence.outside?.probes).toEqual({ probedHere: false, results: [], unavailable: [] });
    expect(artifacts["report.md"]).toContain("| Smart hosts in DNS | `mail.contoso.com`: mail.contoso.com (203.0.113.25)");
    expect(artifacts["report.md"]).toContain("port 25 not probed by this check");
    expect(dns.questions).toEqual(expect.arrayContaining(["MX mail.contoso.com", "A mail.contoso.com", "A 25.113.0.203.bl.example"]));
  });

  it("is wired from the app settings: DNS through the resolvers named, port 25 only when MAILFLOW_GUARD_PROBE_SMART_HOSTS is true", async () => {
    const env = { AzureWebJobsStorage: inject("azuriteTableConnectionString"), MAILFLOW_GUARD_DNS_SERVERS: dns.address };
    const off = await handlerDepsFromEnv(env);
    expect(off.dns?.servers).toBe(dns.address);
    expect(off.probe).toBeUndefined();
    const on = await handlerDepsFromEnv({ ...env, MAILFLOW_GUARD_PROBE_SMART_HOSTS: "true" });
    expect(on.probe).toBeTypeOf("function");
    // Nothing listens on port 1: the probe says it could not connect, which the check reports as unavailable.
    const result = await on.probe!("mail.contoso.com", 1, "127.0.0.1");
    expect(result.failedAt).toBe("connect");
  });
});
