/**
 * Each tenant's check once per run, on Azurite with the handlers as the host
 * calls them: a duplicate message never overwrites a result, a message for a
 * run or tenant that is not there is dropped, a killed check is taken over by
 * its redelivered message, a retryable failure reads "retrying" until the
 * next try, and the poison queue ends a run failed, with an alert.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { saveAlertConfig } from "../src/alerts/config.js";
import { loadFindingState } from "../src/alerts/finding-state.js";
import { isTransient } from "../src/check/tenant-check.js";
import { ConcurrencyError, DamagedDocumentError, DocumentTooLargeError, InputError, StateStoreError } from "../src/errors.js";
import { startFeedServer } from "../src/feed/stand-in-service.js";
import type { HandlerDeps } from "../src/handlers/deps.js";
import { driftCheckPoison } from "../src/handlers/drift-check-poison.js";
import { ABANDONED_AFTER_MS, loadRun, type RunRecord, recordTenantRun, tenantKey } from "../src/run/run.js";
import type { StateStore } from "../src/state/store.js";
import { worldwide } from "./support/feed.js";
import { recordingSink } from "./support/recording-sink.js";
import { CONTOSO, deliver, FABRIKAM, fire, intercepted, invocation, twoTenants } from "./support/run-safety.js";

const MINUTE = 60_000;
const WEBHOOK = "https://prod-00.westeurope.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=s";

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

async function poison(message: unknown) {
  const { context, logs } = invocation("driftCheckPoison", 1);
  await driftCheckPoison(async () => deps)(message, context);
  return logs;
}

async function run(runId: string): Promise<RunRecord> {
  return (await loadRun(deps.store, runId, clock.now))!;
}

/** The stored document of a tenant's record, to tell whether anything wrote it. */
function stored(runId: string, tenant: string) {
  return deps.store.get("run-tenant", tenantKey(runId, tenant));
}

/** Deps whose store fails reading the tenant's inventory, as Table Storage answering 503 does, `times` times. */
function failingInventoryReads(
  tenant: string,
  times = Number.POSITIVE_INFINITY,
  message = "Table Storage: could not read the inventory: HTTP 503",
): HandlerDeps {
  let left = times;
  const get: StateStore["get"] = (kind, key) => {
    if (kind === "inventory" && key === tenant && left-- > 0) throw new StateStoreError(message);
    return deps.store.get(kind, key);
  };
  return { ...deps, store: intercepted(deps.store, { get }) };
}

describe("a tenant's check, once per run", () => {
  it("is taken over by the redelivered message when a worker is killed mid-tenant, and the frozen try, if it wakes, writes nothing", async () => {
    const [contoso, fabrikam] = (await fire(deps)).messages!;
    const runId = contoso!.runId;
    let reached!: () => void;
    let wake!: () => void;
    const midCheck = new Promise<void>((resolve) => (reached = resolve));
    const frozen = new Promise<void>((resolve) => (wake = resolve));
    // The first try stops mid-check, after "running" and before its outputs, as a worker killed there does.
    const get: StateStore["get"] = async (kind, key) => {
      if (kind === "finding-state") {
        reached();
        await frozen;
      }
      return deps.store.get(kind, key);
    };
    const killed = deliver({ ...deps, store: intercepted(deps.store, { get }) }, contoso, 1);
    await midCheck;
    expect((await run(runId)).tenants[CONTOSO]).toMatchObject({ status: "running", attempt: 1 });
    expect((await run(runId)).status).toBe("running");

    // The host lost the first try for dead: the message is visible again and its dequeue count went up.
    expect((await deliver(deps, contoso, 2)).error).toBeUndefined();
    expect((await deliver(deps, fabrikam, 1)).error).toBeUndefined();
    const done = await run(runId);
    expect(done.status).toBe("succeeded");
    expect(done.tenants[CONTOSO]).toMatchObject({ status: "drift", attempt: 2 });
    const result = await stored(runId, CONTOSO);
    const report = await deps.store.get("report", `${CONTOSO}/${runId}`);

    wake();
    const late = await killed;
    expect(late.error).toBeUndefined();
    expect(late.logs).toEqual([
      { level: "warning", text: `run ${runId}: ${CONTOSO} was taken over by another try; this one (delivery 1) records nothing` },
    ]);
    expect((await stored(runId, CONTOSO))!.etag).toBe(result!.etag);
    expect((await deps.store.get("report", `${CONTOSO}/${runId}`))!.etag).toBe(report!.etag);
  });

  it("drops a duplicate message after the tenant finished, leaving its result and outputs as they were", async () => {
    const messages = (await fire(deps)).messages!;
    for (const m of messages) await deliver(deps, m, 1);
    const [contoso] = messages;
    const record = await stored(contoso!.runId, CONTOSO);
    const report = await deps.store.get("report", `${CONTOSO}/${contoso!.runId}`);
    for (const count of [1, 3, undefined]) {
      const { logs, error } = await deliver(deps, contoso, count);
      expect(error).toBeUndefined();
      expect(logs).toEqual([
        { level: "warning", text: `run ${contoso!.runId}: ${CONTOSO} is already drift; dropped a duplicate message, the result stands` },
      ]);
    }
    expect((await stored(contoso!.runId, CONTOSO))!.etag).toBe(record!.etag);
    expect((await deps.store.get("report", `${CONTOSO}/${contoso!.runId}`))!.etag).toBe(report!.etag);
  });

  it("checks a tenant once when two messages for it arrive at once", async () => {
    const [contoso] = (await fire(deps)).messages!;
    const both = await Promise.all([deliver(deps, contoso, 1), deliver(deps, contoso, 1)]);
    const lines = both.flatMap((d) => d.logs.map((l) => l.text));
    expect(lines.filter((l) => l.includes("dropped a duplicate message"))).toHaveLength(1);
    expect(lines.filter((l) => l === `run ${contoso!.runId}: ${CONTOSO} drift, 3 findings`)).toHaveLength(1);
    expect((await run(contoso!.runId)).tenants[CONTOSO]!.status).toBe("drift");
  });

  it("drops a message for a run that does not exist or a tenant not in the run, with one line and no retry", async () => {
    const [contoso] = (await fire(deps)).messages!;
    const unknownRun = randomUUID();
    const gone = await deliver(deps, { runId: unknownRun, tenant: CONTOSO }, 1);
    expect(gone).toEqual({
      error: undefined,
      logs: [{ level: "warning", text: `run ${unknownRun} does not exist (pruned, or never opened); dropped the message for ${CONTOSO}` }],
    });
    const stranger = await deliver(deps, { runId: contoso!.runId, tenant: "nobody.onmicrosoft.com" }, 1);
    expect(stranger).toEqual({
      error: undefined,
      logs: [{ level: "warning", text: `run ${contoso!.runId} has no tenant nobody.onmicrosoft.com; dropped the message` }],
    });
    expect((await deps.store.list("run-tenant")).sort()).toEqual([tenantKey(contoso!.runId, CONTOSO), tenantKey(contoso!.runId, FABRIKAM)].sort());
  });

  it("records a retryable failure as retrying, with the error and the try, and completes on the next delivery", async () => {
    const [contoso, fabrikam] = (await fire(deps)).messages!;
    const failed = await deliver(failingInventoryReads(CONTOSO, 1), contoso, 1);
    expect(failed.error).toBeInstanceOf(StateStoreError);
    expect(failed.logs).toEqual([
      {
        level: "warning",
        text: `run ${contoso!.runId}: ${CONTOSO} failed on try 1 of 5, for the queue to retry: Table Storage: could not read the inventory: HTTP 503`,
      },
      { level: "warning", text: expect.stringMatching(/^mailflow-guard\.event \{"event":"tenant-failed",.*"attempt":1,.*"willRetry":true\}$/) },
    ]);
    await deliver(deps, fabrikam, 1);
    const retrying = await run(contoso!.runId);
    expect(retrying.tenants[CONTOSO]).toMatchObject({
      status: "retrying",
      attempt: 1,
      error: "Table Storage: could not read the inventory: HTTP 503",
    });
    expect(retrying.status).toBe("running");
    // Had the queue lost the message, the tenant would read abandoned once the tries' time is up.
    const later = new Date(clock.now.getTime() + ABANDONED_AFTER_MS + MINUTE);
    expect((await loadRun(deps.store, contoso!.runId, later))!.tenants[CONTOSO]!.status).toBe("abandoned");
    expect((await deliver(deps, contoso, 2)).error).toBeUndefined();
    const done = await run(contoso!.runId);
    expect(done.tenants[CONTOSO]).toMatchObject({ status: "drift", attempt: 2 });
    expect(done.tenants[CONTOSO]!.error).toBeUndefined();
    expect(done.status).toBe("succeeded");
  });

  it("knows its own writes whose answers were lost: the write landed, the store's retry was refused as a conflict", async () => {
    const [contoso] = (await fire(deps)).messages!;
    const lost = new Set(["running", "drift"]);
    const put: StateStore["put"] = async (kind, key, value, condition) => {
      const etag = await deps.store.put(kind, key, value, condition);
      const status = (value as { status?: string }).status;
      // The write is stored; the answer is lost, and the retry is refused because the record changed (by that write).
      if (kind === "run-tenant" && condition?.ifMatch && status && lost.delete(status))
        throw new ConcurrencyError(`run-tenant ${key} was changed by another writer`);
      return etag;
    };
    const delivered = await deliver({ ...deps, store: intercepted(deps.store, { put }) }, contoso, 1);
    expect(delivered.error).toBeUndefined();
    expect(delivered.logs.filter((l) => /taken over|dropped/.test(l.text))).toEqual([]);
    expect(lost.size).toBe(0);
    expect((await run(contoso!.runId)).tenants[CONTOSO]).toMatchObject({ status: "drift", attempt: 1 });
  });

  it("keeps storage endpoints out of the failure it records, which GET /api/resync shows, and logs the whole line", async () => {
    const [contoso] = (await fire(deps)).messages!;
    const message =
      "Table Storage: could not read inventory at https://acct.table.core.windows.net/mailflowguard(PartitionKey='x') answered HTTP 503";
    const failed = await deliver(failingInventoryReads(CONTOSO, 1, message), contoso, 1);
    expect((await run(contoso!.runId)).tenants[CONTOSO]?.error).toBe("Table Storage: could not read inventory at (a URL) answered HTTP 503");
    expect(failed.logs[0]?.text).toContain("acct.table.core.windows.net");
  });

  it("keeps the finding state before it records the result, so a failure saving it is retried, not lost", async () => {
    const [contoso] = (await fire(deps)).messages!;
    let left = 1;
    const put: StateStore["put"] = (kind, key, value, condition) => {
      if (kind === "finding-state" && left-- > 0) throw new StateStoreError("Table Storage: could not write the finding state: HTTP 503");
      return deps.store.put(kind, key, value, condition);
    };
    const failed = await deliver({ ...deps, store: intercepted(deps.store, { put }) }, contoso, 1);
    expect(failed.error).toBeInstanceOf(StateStoreError);
    expect((await run(contoso!.runId)).tenants[CONTOSO]).toMatchObject({ status: "retrying", attempt: 1 });
    expect((await deliver(deps, contoso, 2)).error).toBeUndefined();
    expect((await run(contoso!.runId)).tenants[CONTOSO]).toMatchObject({ status: "drift", attempt: 2 });
    const { state } = await loadFindingState(deps.store, CONTOSO);
    expect(state?.runId).toBe(contoso!.runId);
  });

  it("records failed on the last try, and does not retry what fails the same way every time", async () => {
    const [contoso, fabrikam] = (await fire(deps)).messages!;
    const last = await deliver(failingInventoryReads(CONTOSO), contoso, 5);
    expect(last.error).toBeInstanceOf(StateStoreError); // so the host moves it to the poison queue
    expect((await run(contoso!.runId)).tenants[CONTOSO]).toMatchObject({ status: "failed", attempt: 5 });

    await deps.store.put("inventory", FABRIKAM, { tenant: 42 });
    const damaged = await deliver(deps, fabrikam, 1);
    expect(damaged.error).toBeUndefined();
    expect(damaged.logs).toEqual([
      { level: "warning", text: expect.stringMatching(`^run ${fabrikam!.runId}: ${FABRIKAM} failed: stored inventory of`) },
      { level: "warning", text: expect.stringMatching(/^mailflow-guard\.event \{"event":"tenant-failed",.*"willRetry":false\}$/) },
    ]);
    expect((await run(fabrikam!.runId)).tenants[FABRIKAM]).toMatchObject({ status: "failed", attempt: 1 });
    expect((await run(fabrikam!.runId)).status).toBe("failed");
  });

  it("classifies each failure once: the store and the unexpected are retried, damage, size and input are not", () => {
    expect(isTransient(new StateStoreError("Table Storage: could not read run-tenant x: HTTP 503"))).toBe(true);
    expect(isTransient(new ConcurrencyError("run-tenant x was changed by another writer"))).toBe(true);
    expect(isTransient(new TypeError("x is undefined"))).toBe(true);
    expect(isTransient(new DocumentTooLargeError("report x is too large for Table Storage: 4.2 MiB as sent"))).toBe(false);
    expect(isTransient(new DamagedDocumentError("stored inventory of x: bad", { cause: new InputError("bad") }))).toBe(false);
    expect(isTransient(new DamagedDocumentError("the stored run x is not valid", { cause: z.string().safeParse(1).error }))).toBe(false);
    // The class decides, not the words: a store failure that mentions a size is still worth another try.
    expect(isTransient(new StateStoreError("Table Storage: could not write report x (too large for one request?): HTTP 503"))).toBe(true);
    expect(isTransient(new InputError("no inventory is registered for tenant x"))).toBe(false);
  });
});

describe("the poison queue", () => {
  it("marks a tenant whose every try was cut short failed, so the run ends failed, and alerts its channels once", async () => {
    const sink = recordingSink();
    deps = { ...deps, sinks: async () => [sink] };
    await saveAlertConfig(deps.store, CONTOSO, { teams: { webhookUrl: WEBHOOK } });
    const [contoso, fabrikam] = (await fire(deps)).messages!;
    const runId = contoso!.runId;
    await deliver(deps, fabrikam, 1);
    // What the fifth try leaves when its host is stopped mid-check.
    await recordTenantRun(deps.store, runId, CONTOSO, { status: "running", attempt: 5 }, clock.now);
    const error = "the check failed on every one of its 5 tries; none got as far as an error (each timed out, or its host stopped)";

    const logs = await poison(contoso);
    expect(logs).toContainEqual({ level: "error", text: `run ${runId}: ${CONTOSO} failed: ${error}` });
    const ended = await run(runId);
    expect(ended.tenants[CONTOSO]).toMatchObject({ status: "failed", error, attempt: 5 });
    expect(ended.status).toBe("failed");
    expect(sink.alerts).toEqual([
      expect.objectContaining({
        id: `${CONTOSO}/${runId}/gave-up`,
        kind: "stale-run",
        headline: `The check of ${CONTOSO} in run ${runId} failed on every try: ${error}`,
      }),
    ]);

    // The same poison message again: nothing is rewritten, nothing sent twice.
    const record = await stored(runId, CONTOSO);
    expect(await poison(contoso)).toContainEqual({
      level: "information",
      text: `run ${runId}: the alert ${CONTOSO}/${runId}/gave-up was sent already`,
    });
    expect((await stored(runId, CONTOSO))!.etag).toBe(record!.etag);
    expect(sink.alerts).toHaveLength(1);
  });

  it("keeps the last try's failure as it recorded it, and says when the tenant has no alert channel", async () => {
    const [contoso] = (await fire(deps)).messages!;
    await deliver(failingInventoryReads(CONTOSO), contoso, 5);
    const record = await stored(contoso!.runId, CONTOSO);
    expect(await poison(contoso)).toEqual([
      { level: "error", text: `run ${contoso!.runId}: ${CONTOSO} failed: Table Storage: could not read the inventory: HTTP 503` },
      { level: "information", text: `run ${contoso!.runId}: ${CONTOSO} has no alert channel; no alert was sent` },
    ]);
    expect((await stored(contoso!.runId, CONTOSO))!.etag).toBe(record!.etag);
  });

  it("leaves a tenant a try finished after all, and ignores a malformed message, each with one line", async () => {
    const sink = recordingSink();
    deps = { ...deps, sinks: async () => [sink] };
    await saveAlertConfig(deps.store, CONTOSO, { teams: { webhookUrl: WEBHOOK } });
    const [contoso] = (await fire(deps)).messages!;
    await deliver(deps, contoso, 1);
    const record = await stored(contoso!.runId, CONTOSO);
    const alerts = sink.alerts.length;
    expect(await poison(contoso)).toEqual([
      {
        level: "warning",
        text: `run ${contoso!.runId}: ${CONTOSO} is drift, finished by a try after all; dropped the poison message`,
      },
    ]);
    expect((await stored(contoso!.runId, CONTOSO))!.etag).toBe(record!.etag);
    expect(sink.alerts).toHaveLength(alerts);
    expect(await poison({ tenant: CONTOSO })).toEqual([{ level: "error", text: expect.stringMatching(/^ignored poison queue message: runId: /) }]);
  });
});
