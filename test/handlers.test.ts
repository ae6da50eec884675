import { readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createFeedClient } from "../src/feed/client.js";
import { loadFeedState } from "../src/feed/feed-state.js";
import { startFeedServer } from "../src/feed/stand-in-service.js";
import { driftCheckQueueOutput } from "../src/handlers/bindings.js";
import { dailyDriftCheck } from "../src/handlers/daily-drift-check.js";
import type { DriftCheckMessage, HandlerDeps } from "../src/handlers/deps.js";
import { driftCheckWorker } from "../src/handlers/drift-check-worker.js";
import { feedVersionCheck } from "../src/handlers/feed-version-check.js";
import { uploadInventory } from "../src/handlers/inventory-upload.js";
import { resyncStatus, startResync } from "../src/handlers/resync.js";
import { loadInventory } from "../src/inventory/inventory-store.js";
import { ABANDONED_AFTER_MS, type RunRecord } from "../src/run/run.js";
import { clientRequestId } from "../src/state/installation.js";
import { worldwide } from "./support/feed.js";
import { azuriteDeps, invocation, request, timer } from "./support/handlers.js";

const demoInventory = readFileSync(new URL("../examples/demo/inventory.json", import.meta.url), "utf8");
const rawConnectors = readFileSync(new URL("../examples/get-receiveconnector.json", import.meta.url), "utf8");
const API = "https://mfg.example.net/api";
/** What every JSON body is sent with; test/http-hardening.test.ts tries the others. */
const JSON_TYPE = { "Content-Type": "application/json" };

let server: Awaited<ReturnType<typeof startFeedServer>>;
let feed: Parameters<typeof startFeedServer>[0];
let deps: HandlerDeps;
const clock = { now: new Date("2026-11-22T05:00:00Z") };
const getDeps = async () => deps;

beforeAll(async () => {
  feed = { Worldwide: { version: "2025060100", endpoints: worldwide() } };
  server = await startFeedServer(feed);
  deps = await azuriteDeps(server.url, clock);
});
afterAll(() => server.close());

async function post(path: string, body?: string) {
  const { context, logs } = invocation(path);
  const handler = path.startsWith("inventory") ? uploadInventory(getDeps) : startResync(getDeps, driftCheckQueueOutput);
  const response = await handler(request("POST", `${API}/${path}`, body === undefined ? {} : { body, headers: JSON_TYPE }), context);
  return { response, context, logs, body: response.jsonBody as Record<string, unknown> };
}

async function getRun(runId: string, query = "") {
  const { context } = invocation("resyncStatus");
  return resyncStatus(getDeps)(request("GET", `${API}/resync/${runId}${query}`, { params: { runId } }), context);
}

/** The daily timer's run: its messages, one per tenant. */
async function daily(): Promise<DriftCheckMessage[]> {
  const { context } = invocation("dailyDriftCheck");
  await dailyDriftCheck(getDeps, driftCheckQueueOutput)(timer, context);
  return context.extraOutputs.get(driftCheckQueueOutput) as DriftCheckMessage[];
}

const DAY = 24 * 3600_000;

async function work(messages: DriftCheckMessage[]) {
  for (const message of messages) {
    const { context } = invocation("driftCheckWorker");
    await driftCheckWorker(getDeps)(message, context);
  }
}

describe("inventory upload", () => {
  it("registers a tenant (201), then replaces it (200)", async () => {
    const first = await post("inventory", demoInventory);
    expect(first.response.status).toBe(201);
    expect(first.body).toEqual({ tenant: "contoso.onmicrosoft.com", instance: "Worldwide", receiveConnectors: 2, allowlists: 1, entries: 15 });
    expect((await post("inventory", demoInventory)).response.status).toBe(200);
    expect((await loadInventory(deps.store, "contoso.onmicrosoft.com"))!.receiveConnectors[0]!.mode).toBe("exact");
  });

  it("takes raw Get-ReceiveConnector output with ?tenant= and ?mode=", async () => {
    const { context } = invocation("inventory");
    const response = await uploadInventory(getDeps)(
      request("POST", `${API}/inventory?tenant=Fabrikam.onmicrosoft.com&mode=exact`, { body: rawConnectors, headers: JSON_TYPE }),
      context,
    );
    expect(response.status).toBe(201);
    const stored = await loadInventory(deps.store, "fabrikam.onmicrosoft.com");
    expect(stored!.receiveConnectors[0]).toMatchObject({ identity: "EX01\\Inbound from Office 365", mode: "exact" });
  });

  it("takes a body as Windows PowerShell 5.1 writes it: UTF-16 LE with a byte order mark and CRLF", async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(rawConnectors.replace(/\r?\n/g, "\r\n"), "utf16le")]);
    const { context } = invocation("inventory");
    const response = await uploadInventory(getDeps)(
      request("POST", `${API}/inventory?tenant=adatum.onmicrosoft.com`, { body: utf16, headers: JSON_TYPE }),
      context,
    );
    expect(response.status).toBe(201);
    expect((await loadInventory(deps.store, "adatum.onmicrosoft.com"))!.receiveConnectors[0]!.identity).toBe("EX01\\Inbound from Office 365");
  });

  it("takes ?connector= patterns with raw output and keeps them with the inventory", async () => {
    const { context } = invocation("inventory");
    const url = `${API}/inventory?tenant=wingtip.onmicrosoft.com&connector=${encodeURIComponent("*\\Inbound from Office 365")}&connector=Relay`;
    const response = await uploadInventory(getDeps)(request("POST", url, { body: rawConnectors, headers: JSON_TYPE }), context);
    expect(response.status).toBe(201);
    expect((await loadInventory(deps.store, "wingtip.onmicrosoft.com"))!.checkConnectors).toEqual(["*\\Inbound from Office 365", "Relay"]);
  });

  it.each([
    ["a body that is not JSON", "{not json", /^request body: is not valid JSON/],
    ["an empty body", "", /^request body: is empty: expected JSON$/],
    [
      "a prefix length out of range, named by its entry",
      JSON.stringify({ tenant: "bad.onmicrosoft.com", receiveConnectors: [{ identity: "EX01\\X", remoteIPRanges: ["1.2.3.4", "1.2.3.4/40"] }] }),
      /^request body: receiveConnectors\[0\]\.remoteIPRanges\[1\]: "1\.2\.3\.4\/40"/,
    ],
    ["raw connectors without ?tenant=", rawConnectors, /^request body: is raw Get-ReceiveConnector output, which names no tenant/],
  ])("answers 400 with one line and stores nothing for %s", async (_what, body, message) => {
    const before = await deps.store.list("inventory");
    const { response, body: answer } = await post("inventory", body);
    expect(response.status).toBe(400);
    expect(answer.error).toMatch(message);
    expect(String(answer.error)).not.toContain("\n");
    expect(await deps.store.list("inventory")).toEqual(before);
  });

  it("refuses a body over the size limit with 413 before parsing it", async () => {
    const huge = JSON.stringify({
      tenant: "huge.onmicrosoft.com",
      allowlists: [{ name: "fw", entries: Array.from({ length: 20_000 }, (_, i) => `10.${i >> 8}.${i & 255}.1`) }],
    });
    const { response, body } = await post("inventory", huge);
    expect(response.status).toBe(413);
    expect(body.error).toMatch(/larger than the limit of 200000 bytes/);
    expect(await deps.store.list("inventory")).not.toContain("huge.onmicrosoft.com");
  });
});

describe("timers, queue worker and re-sync", () => {
  // Each test starts from its own table with both tenants registered, so any one of them runs alone.
  beforeEach(async () => {
    deps = await azuriteDeps(server.url, clock);
    expect((await post("inventory", demoInventory)).response.status).toBe(201);
    const { context } = invocation("inventory");
    await uploadInventory(getDeps)(
      request("POST", `${API}/inventory?tenant=fabrikam.onmicrosoft.com&mode=exact`, { body: rawConnectors, headers: JSON_TYPE }),
      context,
    );
  });

  it("the hourly feed check fetches the feed once and then only when an hour passed", async () => {
    const { context, logs } = invocation("feedVersionCheck");
    await feedVersionCheck(getDeps)(timer, context);
    expect(logs.map((l) => l.text)).toEqual(["Worldwide feed version 2025060100 accepted: 6 EOP SMTP ranges"]);
    const { state } = await loadFeedState(deps.store, "Worldwide");
    expect(state.lastGood!.version).toBe("2025060100");
    const count = server.requests.length;
    await feedVersionCheck(getDeps)(timer, invocation("feedVersionCheck").context);
    expect(server.requests).toHaveLength(count);
    clock.now = new Date(clock.now.getTime() + 3600_000);
    await feedVersionCheck(getDeps)(timer, invocation("feedVersionCheck").context);
    expect(server.requests.slice(count).map((r) => r.path)).toEqual(["/version/Worldwide"]);
  });

  it("the hourly feed check still checks every instance when one feed document has a bad key", async () => {
    await deps.store.put("feed", "Atlantis", { instance: "Atlantis" });
    const { context, logs } = invocation("feedVersionCheck");
    await feedVersionCheck(getDeps)(timer, context);
    expect(logs).toContainEqual({
      level: "warning",
      text: expect.stringMatching(/^ignored the feed document "Atlantis": "Atlantis" is not an instance/),
    });
    expect((await loadFeedState(deps.store, "Worldwide")).state.lastGood?.version).toBe("2025060100");
  });

  it("the daily check brings the feed up to date once, then fans out one message per tenant, and the worker records each result", async () => {
    const before = server.requests.length;
    const { context } = invocation("dailyDriftCheck");
    await dailyDriftCheck(getDeps, driftCheckQueueOutput)(timer, context);
    expect(server.requests.slice(before).map((r) => r.path)).toEqual(["/version/Worldwide", "/endpoints/Worldwide"]);
    const messages = context.extraOutputs.get(driftCheckQueueOutput) as DriftCheckMessage[];
    expect(messages.map((m) => m.tenant)).toEqual(["contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com"]);
    const runId = messages[0]!.runId;
    const queued = (await getRun(runId)).jsonBody as RunRecord;
    expect(queued.status).toBe("queued");
    expect(queued.feeds).toEqual([
      { instance: "Worldwide", outcome: "updated", version: "2025060100", message: "Worldwide feed version 2025060100 accepted: 6 EOP SMTP ranges" },
    ]);
    expect(Object.keys(queued.tenants)).toEqual(["contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com"]);

    const during = server.requests.length;
    await work(messages);
    expect(server.requests).toHaveLength(during); // the checks only read the feed in force
    const run = (await getRun(runId)).jsonBody as RunRecord;
    expect(run.status).toBe("succeeded");
    expect(run.trigger).toBe("timer");
    expect(run.tenants["contoso.onmicrosoft.com"]).toMatchObject({ status: "drift", feedVersion: "2025060100" });
    expect(run.tenants["contoso.onmicrosoft.com"]!.findings).toContainEqual(
      expect.objectContaining({
        rule: "missing-eop-range",
        subject: { kind: "receive-connector", name: "EX01\\Inbound from Office 365" },
        rangeCount: 3,
        ranges: ["52.100.0.0/14", "2a01:111:f400::/48", "2a01:111:f403::/48"],
      }),
    );

    const script = await getRun(runId, "?tenant=contoso.onmicrosoft.com&file=remediation.ps1");
    expect(script.status).toBe(200);
    expect(script.headers).toMatchObject({ "Content-Type": "text/plain; charset=utf-8" });
    expect(String(script.body)).toContain("Set-ReceiveConnector -Identity 'EX01\\Inbound from Office 365'");
  });

  it("a run's status derives from its tenants' records: running while one is not done, failed when one failed", async () => {
    const { context } = invocation("dailyDriftCheck");
    await dailyDriftCheck(getDeps, driftCheckQueueOutput)(timer, context);
    const [first, second] = context.extraOutputs.get(driftCheckQueueOutput) as DriftCheckMessage[];
    await work([first!]);
    expect(((await getRun(first!.runId)).jsonBody as RunRecord).status).toBe("running");
    await deps.store.delete("inventory", second!.tenant);
    await work([second!]);
    const run = (await getRun(first!.runId)).jsonBody as RunRecord;
    expect(run.status).toBe("failed");
    expect(run.tenants[second!.tenant]).toMatchObject({ status: "failed", error: `no inventory is registered for tenant ${second!.tenant}` });
  });

  it("a tenant left unfinished reads as abandoned once it made no progress for longer than the tries can take", async () => {
    const [first, second] = await daily();
    await work([first!]);
    clock.now = new Date(clock.now.getTime() + ABANDONED_AFTER_MS - 60_000);
    expect(((await getRun(first!.runId)).jsonBody as RunRecord).status).toBe("running");
    clock.now = new Date(clock.now.getTime() + 2 * 60_000);
    const run = (await getRun(first!.runId)).jsonBody as RunRecord;
    expect(run.status).toBe("abandoned");
    expect(run.tenants[first!.tenant]!.status).toBe("drift");
    expect(run.tenants[second!.tenant]!.status).toBe("abandoned");
    // Derived, not written: a late try still records its result.
    await work([second!]);
    expect(((await getRun(first!.runId)).jsonBody as RunRecord).status).toBe("succeeded");
  });

  it("a run whose feed could not be brought up to date warns in each tenant's record; past the maximum age the tenants fail", async () => {
    await feedVersionCheck(getDeps)(timer, invocation("feedVersionCheck").context);
    const unreachable = await startFeedServer({});
    await unreachable.close(); // nothing listens on its port any more
    const live = deps;
    deps = {
      ...live,
      feed: createFeedClient({ baseUrl: unreachable.url, clientRequestId: await clientRequestId(live.store), sleep: async () => {} }),
    };
    try {
      clock.now = new Date(clock.now.getTime() + 3 * DAY);
      const messages = await daily();
      const runId = messages[0]!.runId;
      expect(((await getRun(runId)).jsonBody as RunRecord).feeds[0]).toMatchObject({ outcome: "failed", version: "2025060100" });
      await work(messages);
      const run = (await getRun(runId)).jsonBody as RunRecord;
      expect(run.status).toBe("succeeded");
      const contoso = run.tenants["contoso.onmicrosoft.com"]!;
      expect(contoso.status).toBe("drift");
      expect(contoso.feedWarning).toMatch(
        /^the Worldwide feed could not be brought up to date \(.*127\.0\.0\.1.*\); checking against version 2025060100, fetched 3 days ago$/,
      );
      expect(contoso.findings![0]).toMatchObject({ rule: "feed-stale", severity: "warning", subject: { kind: "feed", name: "Worldwide" } });
      const md = String((await getRun(runId, "?tenant=contoso.onmicrosoft.com&file=report.md")).body);
      expect(md).toContain("- The Worldwide feed could not be brought up to date (");

      clock.now = new Date(clock.now.getTime() + 5 * DAY);
      const { body, context } = await post("resync");
      await work(context.extraOutputs.get(driftCheckQueueOutput) as DriftCheckMessage[]);
      const failed = (await getRun(String(body.runId))).jsonBody as RunRecord;
      expect(failed.status).toBe("failed");
      for (const tenant of ["contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com"]) {
        expect(failed.tenants[tenant]).toMatchObject({
          status: "failed",
          error: expect.stringMatching(
            new RegExp(
              /^the Worldwide feed could not be brought up to date \(.*\); /.source +
                /version 2025060100 in force was fetched 8 days ago, longer ago than the 7 days /.source +
                /MAILFLOW_GUARD_MAX_FEED_AGE allows, so nothing was checked against it$/.source,
            ),
          ),
        });
      }
      expect(await deps.store.list("report", { prefix: "contoso.onmicrosoft.com/" })).not.toContain(`contoso.onmicrosoft.com/${body.runId}`);
    } finally {
      deps = live;
    }
  });

  it("the daily check keeps the last MAILFLOW_GUARD_KEEP_RUNS runs of each tenant with their reports and deletes the rest", async () => {
    deps = { ...deps, settings: { ...deps.settings, keepRuns: 2 } };
    const runs: string[] = [];
    const next = async () => {
      clock.now = new Date(clock.now.getTime() + DAY);
      const messages = await daily();
      await work(messages);
      runs.push(messages[0]!.runId);
    };
    for (let i = 0; i < 4; i++) await next();
    const [d1, d2, d3, d4] = runs;
    expect((await deps.store.list("run")).sort()).toEqual([d3, d4].sort());
    expect((await deps.store.list("run-tenant")).sort()).toEqual(
      [d3, d4].flatMap((id) => [`${id}/contoso.onmicrosoft.com`, `${id}/fabrikam.onmicrosoft.com`]).sort(),
    );
    expect((await deps.store.list("report")).sort()).toEqual(
      ["contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com"].flatMap((t) => [`${t}/${d3}`, `${t}/${d4}`]).sort(),
    );
    expect((await getRun(d1!)).status).toBe(404);
    expect((await getRun(d2!, "?tenant=contoso.onmicrosoft.com&file=report.md")).status).toBe(404);
    expect((await getRun(d3!, "?tenant=contoso.onmicrosoft.com&file=report.md")).status).toBe(200);

    // Per tenant: a re-sync of contoso alone is one of contoso's runs, not fabrikam's.
    clock.now = new Date(clock.now.getTime() + DAY);
    const resync = await post("resync", JSON.stringify({ tenant: "contoso.onmicrosoft.com" }));
    await work(resync.context.extraOutputs.get(driftCheckQueueOutput) as DriftCheckMessage[]);
    await next();
    const r = String(resync.body.runId);
    const d5 = runs[4]!;
    expect((await deps.store.list("run-tenant")).sort()).toEqual(
      [`${d5}/contoso.onmicrosoft.com`, `${r}/contoso.onmicrosoft.com`, `${d5}/fabrikam.onmicrosoft.com`, `${d4}/fabrikam.onmicrosoft.com`].sort(),
    );
    expect((await deps.store.list("run")).sort()).toEqual([d4, r, d5].sort());
    expect(Object.keys(((await getRun(d4!)).jsonBody as RunRecord).tenants)).toEqual(["fabrikam.onmicrosoft.com"]);
  });

  it("a manual re-sync asks /version at once, before answering 202 with the run id", async () => {
    await feedVersionCheck(getDeps)(timer, invocation("feedVersionCheck").context);
    const before = server.requests.length;
    const { response, body, context } = await post("resync", JSON.stringify({ tenant: "Contoso.onmicrosoft.com" }));
    expect(server.requests.slice(before).map((r) => r.path)).toEqual(["/version/Worldwide"]);
    expect(response.status).toBe(202);
    const runId = String(body.runId);
    expect(body.statusUrl).toBe(`/api/resync/${runId}`);
    expect(response.headers).toMatchObject({ Location: `/api/resync/${runId}` });
    const messages = context.extraOutputs.get(driftCheckQueueOutput) as DriftCheckMessage[];
    expect(messages).toEqual([{ runId, tenant: "contoso.onmicrosoft.com" }]);
    await work(messages);
    expect(server.requests).toHaveLength(before + 1);
    expect(((await getRun(runId)).jsonBody as RunRecord).tenants["contoso.onmicrosoft.com"]!.status).toBe("drift");
  });

  it("a re-sync of many tenants asks /version once per instance, not once per tenant", async () => {
    const tenants = Array.from({ length: 30 }, (_, i) => `t${i}.onmicrosoft.com`);
    for (const tenant of tenants) await post("inventory", demoInventory.replace("contoso.onmicrosoft.com", tenant));
    const before = server.requests.length;
    const { response, context } = await post("resync");
    expect(response.status).toBe(202);
    const messages = context.extraOutputs.get(driftCheckQueueOutput) as DriftCheckMessage[];
    expect(messages).toHaveLength(32);
    await work(messages);
    expect(server.requests.slice(before).map((r) => r.path)).toEqual(["/version/Worldwide", "/endpoints/Worldwide"]);
  });

  it("a re-sync with no body covers every tenant; unknown tenants and bad bodies are refused", async () => {
    const all = await post("resync");
    expect(all.response.status).toBe(202);
    expect(all.body.tenants).toEqual(["contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com"]);
    expect((await post("resync", JSON.stringify({ tenant: "nobody.onmicrosoft.com" }))).response.status).toBe(404);
    const bad = await post("resync", JSON.stringify({ tenant: 42 }));
    expect(bad.response.status).toBe(400);
    expect(bad.body.error).toMatch(/^request body: tenant: /);
  });

  it("status answers 400 for a malformed id and 404 for an unknown run", async () => {
    expect((await getRun("../../etc")).status).toBe(400);
    expect((await getRun("5f1c2f7e-8f0a-4a51-9d9e-0c6a3b1d2e4f")).status).toBe(404);
  });

  it("the worker ignores malformed messages, saying so once", async () => {
    const bad = invocation("driftCheckWorker");
    await driftCheckWorker(getDeps)({ runId: "nope" }, bad.context);
    expect(bad.logs).toEqual([{ level: "error", text: expect.stringMatching(/^ignored queue message: runId: /) }]);
  });
});

describe("a tenant with a long list of stale entries", () => {
  it("keeps the run record brief (first ranges and their count) while report.json has every range", async () => {
    // 120 single addresses 2 apart: none merge, so the stale finding needs 120 ranges.
    const entries = Array.from({ length: 120 }, (_, i) => `198.51.100.${2 * i}`);
    const inventory = { tenant: "northwind.onmicrosoft.com", allowlists: [{ name: "eop only", mode: "exact", entries }] };
    expect((await post("inventory", JSON.stringify(inventory))).response.status).toBe(201);
    const { body, context } = await post("resync", JSON.stringify({ tenant: "northwind.onmicrosoft.com" }));
    await work(context.extraOutputs.get(driftCheckQueueOutput) as DriftCheckMessage[]);
    const run = (await getRun(String(body.runId))).jsonBody as RunRecord;
    const stale = run.tenants["northwind.onmicrosoft.com"]!.findings!.find((f) => f.rule === "stale-eop-range")!;
    expect(stale.rangeCount).toBe(120);
    expect(stale.ranges).toEqual(entries.slice(0, 50).map((e) => `${e}/32`));
    const report = await getRun(String(body.runId), "?tenant=northwind.onmicrosoft.com&file=report.json");
    const full = JSON.parse(String(report.body)) as { findings: { rule: string; ranges: string[] }[] };
    expect(full.findings.find((f) => f.rule === "stale-eop-range")!.ranges).toHaveLength(120);
  });
});
