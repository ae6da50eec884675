/**
 * The events monitoring reads, as the handlers log them: one line per
 * tenant checked, with its run, findings by rule and duration, and one line
 * when the scheduled run has finished, told once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFeedServer } from "../src/feed/stand-in-service.js";
import { alertSchedule } from "../src/handlers/alert-schedule.js";
import type { HandlerDeps } from "../src/handlers/deps.js";
import { type CheckEvent, EVENT_PREFIX } from "../src/run/telemetry.js";
import { worldwide } from "./support/feed.js";
import type { Logged } from "./support/handlers.js";
import { timer } from "./support/handlers.js";
import { CONTOSO, deliver, FABRIKAM, fire, invocation, twoTenants } from "./support/run-safety.js";

const clock = { now: new Date("2026-11-20T06:00:00Z") };
let feed: Awaited<ReturnType<typeof startFeedServer>>;
let deps: HandlerDeps;

beforeAll(async () => {
  feed = await startFeedServer({ Worldwide: { version: "2025060100", endpoints: worldwide() } });
  deps = await twoTenants(feed.url, clock);
});
afterAll(() => feed.close());

/** The events among a handler's log lines, parsed as a query would parse them. */
function events(logs: readonly Logged[]): CheckEvent[] {
  return logs.filter((l) => l.text.startsWith(EVENT_PREFIX)).map((l) => JSON.parse(l.text.slice(EVENT_PREFIX.length)) as CheckEvent);
}

async function hourly() {
  const { context, logs } = invocation("alertSchedule");
  await alertSchedule(async () => deps)(timer, context);
  return events(logs);
}

describe("monitoring events", () => {
  it("tells each tenant's check with its run, findings by rule and duration, then the finished run once", async () => {
    const { messages } = await fire(deps);
    expect(messages).toHaveLength(2);
    // Nothing to tell while the run is under way.
    expect(await hourly()).toEqual([]);
    const checked = [];
    for (const message of messages!) checked.push(...events((await deliver(deps, message, 1)).logs));
    const runId = messages![0]!.runId;
    expect(checked.map((e) => e.event === "tenant-checked" && [e.tenant, e.runId, e.attempt])).toEqual([
      [CONTOSO, runId, 1],
      [FABRIKAM, runId, 1],
    ]);
    for (const e of checked) {
      if (e.event !== "tenant-checked") continue;
      expect(e.durationMs).toBeGreaterThanOrEqual(0);
      expect(Object.values(e.byRule).reduce((a, b) => a + b, 0)).toBe(e.findings);
    }
    clock.now = new Date(clock.now.getTime() + 60_000);
    const [finished, ...more] = await hourly();
    expect(more).toEqual([]);
    expect(finished).toMatchObject({ event: "run-finished", runId, trigger: "timer", tenants: 2, status: "succeeded" });
    const byStatus = finished?.event === "run-finished" ? finished.byStatus : {};
    expect(Object.values(byStatus).reduce((a, b) => a + b, 0)).toBe(2);
    // Told once: the next hour says nothing of it.
    expect(await hourly()).toEqual([]);
  });
});
