/**
 * One scheduled run at a time, on Azurite with the handlers as the host calls
 * them: two timer firings at once open one run, a firing repeated the same
 * day opens none, a run still under way keeps the next day's firing out
 * until it ends or reads abandoned, a firing that died holds nothing for
 * long, and a manual re-sync runs beside a scheduled run.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { StateStoreError } from "../src/errors.js";
import { startFeedServer } from "../src/feed/stand-in-service.js";
import { driftCheckQueueOutput } from "../src/handlers/bindings.js";
import type { DriftCheckMessage, HandlerDeps } from "../src/handlers/deps.js";
import { startResync } from "../src/handlers/resync.js";
import { ABANDONED_AFTER_MS, FUNCTION_TIMEOUT_MS, loadRun, QUEUE_BATCH, type RunRecord, tenantKey } from "../src/run/run.js";
import type { StateStore } from "../src/state/store.js";
import { worldwide } from "./support/feed.js";
import { request } from "./support/handlers.js";
import { API, CONTOSO, deliver, FABRIKAM, fire, intercepted, invocation, twoTenants } from "./support/run-safety.js";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const refused = /^(the scheduled run [0-9a-f-]{36} .*|today's scheduled run [0-9a-f-]{36} .*); this firing opens none$/;

let server: Awaited<ReturnType<typeof startFeedServer>>;
let deps: HandlerDeps;
const clock = { now: new Date() };

beforeAll(async () => {
  server = await startFeedServer({ Worldwide: { version: "2025060100", endpoints: worldwide() } });
});
afterAll(() => server.close());
beforeEach(async () => {
  clock.now = new Date("2026-11-22T06:00:00Z");
  deps = await twoTenants(server.url, clock);
});

async function run(runId: string): Promise<RunRecord> {
  return (await loadRun(deps.store, runId, clock.now))!;
}

describe("the run lease", () => {
  it("opens one run for two timer firings at once; the other asks the feed nothing, queues nothing and says so once", async () => {
    // Both read the lease before either writes it: the race the conditional write must settle.
    let reads = 0;
    let bothRead!: () => void;
    const barrier = new Promise<void>((resolve) => (bothRead = resolve));
    const get: StateStore["get"] = async (kind, key) => {
      const doc = await deps.store.get(kind, key);
      if (kind === "run-lease" && ++reads === 2) bothRead();
      return doc;
    };
    const put: StateStore["put"] = async (kind, key, value, condition) => {
      if (kind === "run-lease") await barrier;
      return deps.store.put(kind, key, value, condition);
    };
    const racing = { ...deps, store: intercepted(deps.store, { get, put }) };
    const before = server.requests.length;
    const firings = await Promise.all([fire(racing), fire(racing)]);
    const opened = firings.filter((f) => f.messages !== undefined);
    expect(opened).toHaveLength(1);
    expect(firings.find((f) => f.messages === undefined)!.logs).toEqual([{ level: "warning", text: expect.stringMatching(refused) }]);
    expect(await deps.store.list("run")).toEqual([opened[0]!.messages![0]!.runId]);
    expect(server.requests.slice(before).map((r) => r.path)).toEqual(["/version/Worldwide", "/endpoints/Worldwide"]);
  });

  it("opens nothing on a second firing the same day, even after the run ended; the next day's opens the next run", async () => {
    const first = (await fire(deps)).messages!;
    for (const m of first) await deliver(deps, m, 1);
    const runId = first[0]!.runId;
    expect((await run(runId)).status).toBe("succeeded");
    clock.now = new Date(clock.now.getTime() + 2 * 3600_000);
    const again = await fire(deps);
    expect(again.messages).toBeUndefined();
    expect(again.logs).toEqual([
      { level: "warning", text: `today's scheduled run ${runId} was opened at 2026-11-22T06:00:00.000Z (succeeded); this firing opens none` },
    ]);
    clock.now = new Date(clock.now.getTime() + DAY);
    const next = (await fire(deps)).messages!;
    expect(next.map((m) => m.tenant)).toEqual([CONTOSO, FABRIKAM]);
    expect(next[0]!.runId).not.toBe(runId);
  });

  it("does not let a damaged record of the last run stop the next day's run", async () => {
    const first = (await fire(deps)).messages!;
    const runId = first[0]!.runId;
    // A tenant record that no longer reads: loading the run fails the same way every time.
    await deps.store.put("run-tenant", tenantKey(runId, CONTOSO), { status: "nonsense" });
    clock.now = new Date(clock.now.getTime() + 2 * 3600_000);
    expect((await fire(deps)).messages).toBeUndefined();
    clock.now = new Date(clock.now.getTime() + DAY);
    const next = (await fire(deps)).messages!;
    expect(next.map((m) => m.tenant)).toEqual([CONTOSO, FABRIKAM]);
    expect(next[0]!.runId).not.toBe(runId);
  });

  it("keeps the next day's firing out while the last scheduled run is under way, and lets it in once that run reads abandoned", async () => {
    clock.now = new Date("2026-11-22T23:40:00Z");
    const [contoso] = (await fire(deps)).messages!;
    const runId = contoso!.runId;
    clock.now = new Date("2026-11-23T00:10:00Z");
    expect((await fire(deps)).logs.map((l) => l.text)).toEqual([
      `the scheduled run ${runId} (opened 2026-11-22T23:40:00.000Z) is still queued; this firing opens none`,
    ]);
    await deliver(deps, contoso, 1);
    expect((await fire(deps)).logs.map((l) => l.text)).toEqual([
      `the scheduled run ${runId} (opened 2026-11-22T23:40:00.000Z) is still running; this firing opens none`,
    ]);
    // Fabrikam's message was lost: its record stays queued until the run reads abandoned.
    clock.now = new Date(Date.parse("2026-11-22T23:40:00Z") + ABANDONED_AFTER_MS + MINUTE);
    expect((await run(runId)).status).toBe("abandoned");
    expect((await fire(deps)).messages).toHaveLength(2);
  });

  it("holds the lease of a firing that died before opening its run for one function timeout, not for the rest of the day", async () => {
    const put: StateStore["put"] = (kind, key, value, condition) => {
      if (kind === "run") throw new StateStoreError("Table Storage: could not write the run: HTTP 503");
      return deps.store.put(kind, key, value, condition);
    };
    expect((await fire({ ...deps, store: intercepted(deps.store, { put }) })).error).toBeInstanceOf(StateStoreError);
    clock.now = new Date(clock.now.getTime() + 5 * MINUTE);
    const early = await fire(deps);
    expect(early.messages).toBeUndefined();
    expect(early.logs.map((l) => l.text)).toEqual([
      expect.stringMatching(/^the scheduled run [0-9a-f-]{36} is being opened \(since .*\); this firing/),
    ]);
    clock.now = new Date(clock.now.getTime() + FUNCTION_TIMEOUT_MS);
    expect((await fire(deps)).messages).toHaveLength(2);
  });

  it("lets a manual re-sync run beside a scheduled run under way: both complete, neither overwrites the other", async () => {
    const scheduled = (await fire(deps)).messages!;
    const { context } = invocation("resync");
    const body = JSON.stringify({ tenant: CONTOSO });
    const answer = await startResync(async () => deps, driftCheckQueueOutput)(request("POST", `${API}/resync`, { body }), context);
    expect(answer.status).toBe(202);
    const manual = context.extraOutputs.get(driftCheckQueueOutput) as DriftCheckMessage[];
    expect(manual[0]!.runId).not.toBe(scheduled[0]!.runId);
    for (const m of [...manual, ...scheduled]) expect((await deliver(deps, m, 1)).error).toBeUndefined();
    expect((await run(scheduled[0]!.runId)).status).toBe("succeeded");
    expect((await run(manual[0]!.runId)).tenants).toEqual({ [CONTOSO]: expect.objectContaining({ status: "drift" }) });
  });
});

describe("host.json", () => {
  it("bounds the checks an instance runs at once with the batch settings src/run/run.ts explains", () => {
    const host = JSON.parse(readFileSync(new URL("../host.json", import.meta.url), "utf8")) as { extensions: { queues: Record<string, number> } };
    expect(host.extensions.queues).toMatchObject(QUEUE_BATCH);
  });
});
