/**
 * The daily check of a raw `Get-ReceiveConnector | ConvertTo-Json` export of
 * a whole Exchange organisation, registered as an admin would on day one:
 * only the EOP connector may get changes, in either mode.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadArtifacts } from "../src/check/report-store.js";
import type { CheckReport } from "../src/core/check.js";
import { startFeedServer } from "../src/feed/stand-in-service.js";
import { driftCheckQueueOutput } from "../src/handlers/bindings.js";
import { dailyDriftCheck } from "../src/handlers/daily-drift-check.js";
import type { DriftCheckMessage } from "../src/handlers/deps.js";
import { driftCheckWorker } from "../src/handlers/drift-check-worker.js";
import { uploadInventory } from "../src/handlers/inventory-upload.js";
import { worldwide } from "./support/feed.js";
import { azuriteDeps, invocation, request, timer } from "./support/handlers.js";

const organisation = readFileSync(new URL("../examples/get-receiveconnector-organisation.json", import.meta.url), "utf8");

let server: Awaited<ReturnType<typeof startFeedServer>>;
beforeAll(async () => {
  server = await startFeedServer({ Worldwide: { version: "2025060100", endpoints: worldwide() } });
});
afterAll(() => server.close());

describe("the daily check of a whole organisation's export", () => {
  it.each(["exact", "superset"])("in %s mode proposes changes to the EOP connector only", async (mode) => {
    const deps = await azuriteDeps(server.url, { now: new Date("2026-11-22T06:00:00Z") });
    const getDeps = async () => deps;
    const upload = invocation("inventory");
    const url = `https://mfg.example.net/api/inventory?tenant=contoso.onmicrosoft.com&mode=${mode}`;
    expect((await uploadInventory(getDeps)(request("POST", url, { body: organisation }), upload.context)).status).toBe(201);

    const daily = invocation("dailyDriftCheck");
    await dailyDriftCheck(getDeps, driftCheckQueueOutput)(timer, daily.context);
    const [message] = daily.context.extraOutputs.get(driftCheckQueueOutput) as DriftCheckMessage[];
    await driftCheckWorker(getDeps)(message!, invocation("driftCheckWorker").context);

    const artifacts = await loadArtifacts(deps.store, "contoso.onmicrosoft.com", message!.runId);
    const script = artifacts!["remediation.ps1"]!;
    expect(script.match(/^Set-ReceiveConnector -Identity '[^']*'/gm)).toEqual(["Set-ReceiveConnector -Identity 'EX01\\Inbound from Office 365'"]);
    for (const kept of ["'127.0.0.1'", "'10.0.0.0/24'", "0.0.0.0-255.255.255.255", "'10.0.5.0/24'", "'198.51.100.0/24'"])
      expect(script).not.toContain(kept);
    const report = JSON.parse(artifacts!["report.json"]!) as CheckReport;
    expect(report.evidence.inventory.targets.filter((t) => t.checked).map((t) => t.name)).toEqual(["EX01\\Inbound from Office 365"]);
    expect(report.evidence.inventory.targets).toHaveLength(9);
    expect(new Set(report.findings.map((f) => f.subject.name))).toEqual(new Set(["EX01\\Inbound from Office 365"]));
  });
});
