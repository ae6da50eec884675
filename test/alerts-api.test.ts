import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFeedServer } from "../src/feed/stand-in-service.js";
import { alertsApi } from "../src/handlers/alerts.js";
import { driftCheckQueueOutput } from "../src/handlers/bindings.js";
import { dailyDriftCheck } from "../src/handlers/daily-drift-check.js";
import type { DriftCheckMessage, HandlerDeps } from "../src/handlers/deps.js";
import { driftCheckWorker } from "../src/handlers/drift-check-worker.js";
import { uploadInventory } from "../src/handlers/inventory-upload.js";
import { worldwide } from "./support/feed.js";
import { azuriteDeps, invocation, request, timer } from "./support/handlers.js";

const API = "https://mfg.example.net/api";
const TENANT = "contoso.onmicrosoft.com";
const WEBHOOK = "https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=1&sp=x&sv=1.0&sig=c2VjcmV0";
const demoInventory = readFileSync(new URL("../examples/demo/inventory.json", import.meta.url), "utf8");

let server: Awaited<ReturnType<typeof startFeedServer>>;
let deps: HandlerDeps;
const getDeps = async () => deps;

async function call(method: string, path: string, params: Record<string, string>, body?: unknown) {
  const { context } = invocation("alerts");
  const response = await alertsApi(getDeps)(
    request(method, `${API}/alerts/${path}`, {
      params,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } }),
    }),
    context,
  );
  return { status: response.status, body: response.jsonBody as Record<string, unknown> };
}

beforeAll(async () => {
  server = await startFeedServer({ Worldwide: { version: "2025060100", endpoints: worldwide() } });
  deps = await azuriteDeps(server.url, { now: new Date("2026-11-22T06:00:00Z") });
  await uploadInventory(getDeps)(
    request("POST", `${API}/inventory`, { body: demoInventory, headers: { "Content-Type": "application/json" } }),
    invocation("inventory").context,
  );
  const daily = invocation("dailyDriftCheck");
  await dailyDriftCheck(getDeps, driftCheckQueueOutput)(timer, daily.context);
  for (const m of daily.context.extraOutputs.get(driftCheckQueueOutput) as DriftCheckMessage[])
    await driftCheckWorker(getDeps)(m, invocation("w").context);
});
afterAll(() => server.close());

describe("/api/alerts/{tenant}", () => {
  it("takes where alerts go, the digest, heartbeat and thresholds, and shows them but never the webhook URL", async () => {
    const put = await call(
      "PUT",
      TENANT,
      { tenant: TENANT },
      {
        teams: { webhookUrl: WEBHOOK },
        mail: { to: ["exchange-admins@contoso.com"] },
        digest: { every: "week", weekday: "friday" },
        heartbeat: { hour: 8 },
        thresholds: { minSeverity: "warning" },
      },
    );
    expect(put.status).toBe(200);
    const got = await call("GET", TENANT, { tenant: TENANT });
    expect(got.body.channels).toEqual({
      teams: true,
      mailTo: ["exchange-admins@contoso.com"],
      digest: { every: "week", weekday: "friday", hour: 7 },
      heartbeat: { weekday: "monday", hour: 8 },
      thresholds: { minSeverity: "warning", staleRunAfterHours: 36, staleEvidenceHours: 48, certificateDays: [60, 30, 14, 7] },
    });
    expect(JSON.stringify(got.body)).not.toContain("c2VjcmV0");
    expect((got.body.open as { id: string }[]).map((f) => f.id)).toContain("missing-eop-range:allowlist:edge-fw smtp-in");
  });

  it("refuses a configuration with a bad address or an unknown key, in one line", async () => {
    const bad = await call("PUT", TENANT, { tenant: TENANT }, { mail: { to: ["not-an-address"] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^request body: mail\.to\[0\]: expected a mail address/);
    expect((await call("PUT", TENANT, { tenant: TENANT }, { slack: {} })).body.error).toMatch(/unknown key "slack"/);
    const late = await call("PUT", TENANT, { tenant: TENANT }, { digest: { every: "day", hour: 24 } });
    expect(late.body.error).toMatch(/^request body: digest\.hour: expected an hour from 0 to 23 \(UTC\)/);
    const never = await call("PUT", TENANT, { tenant: TENANT }, { thresholds: { staleRunAfterHours: 0 } });
    expect(never.body.error).toMatch(/^request body: thresholds\.staleRunAfterHours: expected whole hours, at least 1/);
  });

  it("snoozes an open finding and ends the snooze", async () => {
    const finding = "missing-eop-range:allowlist:edge-fw smtp-in";
    const until = "2026-11-29T06:00:00Z";
    const snoozed = await call(
      "POST",
      `${TENANT}/snooze`,
      { tenant: TENANT, action: "snooze" },
      { finding, reason: "firewall change on Friday", by: "admin@contoso.com", until },
    );
    expect(snoozed.status).toBe(200);
    expect(snoozed.body.snooze).toMatchObject({ by: "admin@contoso.com", until: "2026-11-29T06:00:00.000Z" });
    const listed = (await call("GET", TENANT, { tenant: TENANT })).body.open as { id: string; snooze?: unknown }[];
    expect(listed.find((f) => f.id === finding)!.snooze).toBeTruthy();
    expect((await call("DELETE", `${TENANT}/snooze/x`, { tenant: TENANT, action: "snooze", finding })).status).toBe(200);
    expect((await call("DELETE", `${TENANT}/snooze/x`, { tenant: TENANT, action: "snooze", finding })).status).toBe(404);
  });

  it("answers 404 for a tenant without inventory and 400 for a snooze of a finding that is not open", async () => {
    expect((await call("GET", "nobody.onmicrosoft.com", { tenant: "nobody.onmicrosoft.com" })).status).toBe(404);
    const bad = await call(
      "POST",
      `${TENANT}/snooze`,
      { tenant: TENANT, action: "snooze" },
      { finding: "nope", reason: "r", by: "b", until: "2026-11-29T06:00:00Z" },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/has no open finding "nope"/);
  });
});
