/**
 * Both sides of the hybrid through the functions, on Azurite: the state
 * document uploaded to /api/inventory, the daily timer and the queue worker.
 * The renewal case: yesterday the servers had certificate A and every
 * connector named it; today they have B from another CA, and the connectors
 * on both sides still name A. The check must say which side to fix, and
 * write the two scripts that fix it.
 */
import type { TokenCredential } from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFindingState } from "../src/alerts/finding-state.js";
import { loadArtifacts } from "../src/check/report-store.js";
import type { CheckReport } from "../src/core/check.js";
import { createExchangeOnlineClient } from "../src/exchange-online/admin-api.js";
import { startFeedServer } from "../src/feed/stand-in-service.js";
import { driftCheckQueueOutput } from "../src/handlers/bindings.js";
import { dailyDriftCheck } from "../src/handlers/daily-drift-check.js";
import type { DriftCheckMessage, HandlerDeps } from "../src/handlers/deps.js";
import { driftCheckWorker } from "../src/handlers/drift-check-worker.js";
import { uploadInventory } from "../src/handlers/inventory-upload.js";
import { contosoHybrid, startExoStandIn } from "./support/exo-stand-in.js";
import { worldwide } from "./support/feed.js";
import { azuriteDeps, invocation, request, timer } from "./support/handlers.js";
import { contosoPki, contosoStateDocument, exchangeNames, tlsName } from "./support/hybrid-documents.js";
import { powershellSyntaxProblems } from "./support/powershell-grammar.js";

const API = "https://mfg.example.net/api";
const TENANT = "contoso.onmicrosoft.com";
const DAY = 24 * 3600_000;
const clock = { now: new Date("2026-11-20T06:00:00Z") };
const pki = contosoPki(clock.now);
const certA = pki.leaf(pki.ca1, "mail.contoso.com", { from: -300, to: 200 }, ["mail.contoso.com", "autodiscover.contoso.com"]);
const certB = pki.leaf(pki.ca2, "mail.contoso.com", { from: 0, to: 365 }, ["mail.contoso.com", "autodiscover.contoso.com"]);

let server: Awaited<ReturnType<typeof startFeedServer>>;
let deps: HandlerDeps;
const getDeps = async () => deps;

beforeAll(async () => {
  server = await startFeedServer({ Worldwide: { version: "2025060100", endpoints: worldwide() } });
  deps = await azuriteDeps(server.url, clock);
});
afterAll(() => server.close());

/** Uploads the day's state document, runs the daily check, and returns the tenant's report and scripts. */
async function day(document: unknown) {
  const upload = await uploadInventory(getDeps)(
    request("POST", `${API}/inventory`, { body: JSON.stringify(document) }),
    invocation("inventory").context,
  );
  expect(upload.status, JSON.stringify(upload.jsonBody)).toBeLessThan(300);
  const { context } = invocation("dailyDriftCheck");
  await dailyDriftCheck(getDeps, driftCheckQueueOutput)(timer, context);
  const [message] = context.extraOutputs.get(driftCheckQueueOutput) as DriftCheckMessage[];
  const worker = invocation("driftCheckWorker");
  await driftCheckWorker(getDeps)(message!, worker.context);
  const artifacts = (await loadArtifacts(deps.store, TENANT, message!.runId))!;
  clock.now = new Date(clock.now.getTime() + DAY);
  return { report: JSON.parse(artifacts["report.json"]!) as CheckReport, artifacts, logs: worker.logs.map((l) => l.text) };
}

const rules = (report: CheckReport) => report.findings.map((f) => `${f.rule} ${f.subject.kind} ${f.subject.name}`).sort();

describe("a certificate renewed by another CA, the connectors left naming the old one", () => {
  it("finds nothing on the day both sides agree, then each broken reference and the renewal, with the fixes in the right script", async () => {
    const before = await day(contosoStateDocument({ collectedAt: "2026-11-20T05:00:00Z", installed: [certA], named: certA }));
    expect(rules(before.report)).toEqual([]);
    expect(before.artifacts["exchange-online-remediation.ps1"]).toContain("Nothing to change in Exchange Online.");

    const after = await day(contosoStateDocument({ collectedAt: "2026-11-21T05:00:00Z", installed: [certB], named: certA }));
    const refs = [
      "hybrid-configuration Hybrid Configuration",
      "receive-connector EX01\\Default Frontend EX01",
      "receive-connector EX02\\Default Frontend EX02",
      "send-connector Outbound to Office 365 - 5c2e0d6a-1f3b-4e8a-9c7d-2b6f4a1e9d30",
    ];
    expect(rules(after.report)).toEqual([...refs.map((r) => `certificate-renewed ${r}`), ...refs.map((r) => `tls-certificate-name-mismatch ${r}`)]);
    expect(after.report.summary[0]).toMatch(/^Drift: 4 certificate, connector or domain findings for contoso\.onmicrosoft\.com/);

    // On-premises: each reference set to B's issuer and subject, exactly as Exchange writes them; Exchange Online has nothing to change.
    const script = after.artifacts["remediation.ps1"]!;
    const setLines = script.split("\r\n").filter((l) => /^Set-(?!StrictMode)/.test(l));
    expect(setLines).toEqual([
      `Set-HybridConfiguration -TlsCertificateName '${tlsName(certB)}' -Confirm:$false`,
      `Set-ReceiveConnector -Identity 'EX01\\Default Frontend EX01' -TlsCertificateName '${tlsName(certB)}' -Confirm:$false`,
      `Set-ReceiveConnector -Identity 'EX02\\Default Frontend EX02' -TlsCertificateName '${tlsName(certB)}' -Confirm:$false`,
      `Set-SendConnector -Identity 'Outbound to Office 365 - 5c2e0d6a-1f3b-4e8a-9c7d-2b6f4a1e9d30' -TlsCertificateName '${tlsName(certB)}' -Confirm:$false`,
    ]);
    expect(exchangeNames(certB).issuer).toBe("CN=Contoso Test TLS CA-2, O=Contoso Test PKI, C=US");
    expect(await powershellSyntaxProblems(script)).toEqual([]);
    expect(after.artifacts["exchange-online-remediation.ps1"]).toContain("Nothing to change in Exchange Online.");

    // The finding state remembers B, so the renewal is news for a week, not a new change every day.
    const { state } = await loadFindingState(deps.store, TENANT);
    expect(state!.certificates["hybrid-configuration"]).toMatchObject({ thumbprints: [certB.thumbprint], previous: [certA.thumbprint] });
  });

  it("once on-premises names the new certificate with a new subject, says Exchange Online is the side left to fix", async () => {
    const renamed = pki.leaf(pki.ca2, "smtp.contoso.com", { from: 0, to: 365 });
    const report = await day(contosoStateDocument({ collectedAt: "2026-11-22T05:00:00Z", installed: [renamed], named: renamed }));
    const found = rules(report.report).filter((r) => !r.startsWith("certificate-renewed"));
    expect(found).toEqual([
      "tls-domain-mismatch outbound-connector Outbound to 5c2e0d6a-1f3b-4e8a-9c7d-2b6f4a1e9d30",
      "tls-sender-name-mismatch inbound-connector Inbound from 5c2e0d6a-1f3b-4e8a-9c7d-2b6f4a1e9d30",
    ]);
    const online = report.artifacts["exchange-online-remediation.ps1"]!;
    expect(online.split("\r\n").filter((l) => /^Set-(?!StrictMode)/.test(l))).toEqual([
      "Set-InboundConnector -Identity 'Inbound from 5c2e0d6a-1f3b-4e8a-9c7d-2b6f4a1e9d30' -TlsSenderCertificateName 'smtp.contoso.com' -Confirm:$false",
      "Set-OutboundConnector -Identity 'Outbound to 5c2e0d6a-1f3b-4e8a-9c7d-2b6f4a1e9d30' -TlsDomain 'smtp.contoso.com' -Confirm:$false",
    ]);
    expect(online).toContain("Connect-ExchangeOnline");
    expect(await powershellSyntaxProblems(online)).toEqual([]);
    expect(report.artifacts["remediation.ps1"]!.split("\r\n").filter((l) => /^Set-.*TlsCertificateName/.test(l))).toEqual([]);
  });
});

describe("Exchange Online read live at the check", () => {
  it("checks the connectors the admin endpoint returns, and falls back to the uploaded ones, saying why, when the read fails", async () => {
    const online = contosoHybrid();
    online.inboundConnectors[0]!.TlsSenderCertificateName = "legacy.contoso.com";
    const exo = await startExoStandIn({ acceptToken: "token-for-test", ...online });
    const lines: string[] = [];
    deps = {
      ...deps,
      log: (line) => lines.push(line),
      exchangeOnline: createExchangeOnlineClient({ baseUrl: exo.url, credential: tokenCredential() }),
    };
    try {
      const document = contosoStateDocument({ collectedAt: "2026-11-23T05:00:00Z", installed: [certB], named: certB });
      const live = await day(document);
      expect(rules(live.report).filter((r) => r.startsWith("tls-"))).toEqual([
        "tls-sender-name-mismatch inbound-connector Inbound from Contoso on-prem",
      ]);
      expect(exo.requests.map((r) => (r.body as { CmdletInput: { CmdletName: string } }).CmdletInput.CmdletName)).toEqual([
        "Get-InboundConnector",
        "Get-OutboundConnector",
        "Get-AcceptedDomain",
        "Get-RemoteDomain",
      ]);
      expect(live.artifacts["exchange-online-remediation.ps1"]).toContain(
        "Set-InboundConnector -Identity 'Inbound from Contoso on-prem' -TlsSenderCertificateName 'mail.contoso.com' -Confirm:$false",
      );

      exo.script({ status: 403 }, { times: 10 });
      const fallback = await day(document);
      expect(rules(fallback.report).filter((r) => r.startsWith("tls-"))).toEqual([]);
      expect(live.report.evidence.hybrid?.exchangeOnline).toEqual({ source: "admin-api" });
      expect(fallback.report.evidence.hybrid?.exchangeOnline).toMatchObject({ source: "document", liveReadError: expect.stringMatching(/403/) });
      expect(fallback.artifacts["report.md"]).toMatch(/\| Exchange Online \| from the document: the live read failed \(.*403/);
      expect(fallback.logs).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^could not read Exchange Online for contoso\.onmicrosoft\.com; the uploaded state document's side is used: .*Exchange\.ManageAsApp/,
          ),
        ]),
      );
      expect([...live.logs, ...fallback.logs].join("\n")).not.toContain("token-for-test");
    } finally {
      deps = { ...deps, exchangeOnline: undefined };
      await exo.close();
    }
  });
});

function tokenCredential(): TokenCredential {
  return { getToken: async () => ({ token: "token-for-test", expiresOnTimestamp: Date.now() + 3_600_000 }) };
}
