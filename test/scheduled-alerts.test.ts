/**
 * The hourly schedule on Table Storage, with the checks the queue worker
 * runs: a tenant whose checks stop completing alerts once and once more when
 * they resume; digests repeat what is open at their hour; the weekly
 * heartbeat says whether every check ran; two firings at once send one
 * message; and the alert threshold keeps low findings quiet.
 */
import { TableClient } from "@azure/data-tables";
import { describe, expect, inject, it } from "vitest";
import type { Sink } from "../src/alerts/alert.js";
import { type AlertConfig, saveAlertConfig } from "../src/alerts/config.js";
import { sendScheduledAlerts } from "../src/alerts/scheduled.js";
import { snoozeFinding } from "../src/alerts/snooze.js";
import { checkTenant } from "../src/check/tenant-check.js";
import { saveFeedState } from "../src/feed/feed-state.js";
import { alertSchedule } from "../src/handlers/alert-schedule.js";
import type { HandlerDeps } from "../src/handlers/deps.js";
import { saveInventory } from "../src/inventory/inventory-store.js";
import { createRun } from "../src/run/run.js";
import { TableStateStore } from "../src/state/table-store.js";
import { invocation, timer } from "./support/handlers.js";
import { observations } from "./support/observations.js";
import { recordingSink } from "./support/recording-sink.js";
import { uniqueTableName } from "./support/tables.js";

const TENANT = "contoso.onmicrosoft.com";
const EOP = ["40.92.0.0/15", "52.100.0.0/14"];
const HOUR = 3600_000;
const WEBHOOK = "https://prod-00.westeurope.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=s";

/** A tenant on Azurite with its feed and alert configuration; the clock starts on Monday 2026-11-30 at 06:00 UTC. */
async function setUp(config: Omit<AlertConfig, "teams"> = {}, sinks: Sink[] = [recordingSink()]) {
  const store = new TableStateStore(
    TableClient.fromConnectionString(inject("azuriteTableConnectionString"), uniqueTableName("schedule"), { allowInsecureConnection: true }),
  );
  const base = observations({}, { eopRanges: EOP });
  await saveFeedState(store, { instance: "Worldwide", lastGood: base.eop.inForce }, undefined);
  await saveAlertConfig(store, TENANT, { teams: { webhookUrl: WEBHOOK }, ...config });
  const clock = { now: new Date("2026-11-30T06:00:00Z") };
  const lines: string[] = [];
  const deps = { store, now: () => clock.now, log: (line: string) => lines.push(line), sinks: async () => sinks };
  let n = 0;
  /** One check of the tenant at the clock's time, with the allowlist as given. */
  const check = async (entries: string[]) => {
    await saveInventory(store, observations({ tenant: TENANT, allowlists: [{ name: "fw", mode: "exact", entries, protected: [] }] }).inventory);
    const runId = `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`;
    await createRun(store, { id: runId, trigger: "timer", tenants: [TENANT], now: clock.now });
    const outcome = await checkTenant(deps, runId, TENANT);
    if ("error" in outcome) throw outcome.error;
    return outcome.check;
  };
  /** One firing of the schedule at `iso`. */
  const tick = async (iso: string) => {
    clock.now = new Date(iso);
    return (await sendScheduledAlerts(deps, TENANT)).sent.map((r) => r.alert);
  };
  return { store, clock, deps, lines, check, tick };
}

describe("stale-run", () => {
  it("alerts once when no check has completed past the limit, and once when checks complete again", async () => {
    const { check, tick, clock } = await setUp({ thresholds: { staleRunAfterHours: 36 } });
    await check(EOP);
    expect(await tick("2026-12-01T17:00:00Z")).toEqual([]);
    const [stale] = await tick("2026-12-01T18:30:00Z");
    expect(stale).toMatchObject({ kind: "stale-run", id: `${TENANT}/stale-run/2026-11-30T06:00:00.000Z` });
    expect(stale!.headline).toBe(`No check of ${TENANT} has completed since 2026-11-30T06:00:00.000Z (the limit is 36 h).`);
    expect(await tick("2026-12-01T19:30:00Z")).toEqual([]);
    expect(await tick("2026-12-02T05:30:00Z")).toEqual([]);
    clock.now = new Date("2026-12-02T06:00:00Z");
    await check(EOP);
    const [resumed] = await tick("2026-12-02T06:30:00Z");
    expect(resumed!.transitions.map((t) => `${t.kind} ${t.finding.rule}`)).toEqual(["resolved stale-run"]);
    expect(resumed!.headline).toBe("Checks complete again: the last at 2026-12-02T06:00:00.000Z.");
    expect(await tick("2026-12-02T07:30:00Z")).toEqual([]);
  });

  it("counts a tenant never checked from when the schedule first saw it", async () => {
    const { tick } = await setUp();
    expect(await tick("2026-11-30T06:30:00Z")).toEqual([]);
    expect(await tick("2026-12-01T18:30:00Z")).toEqual([]);
    const [stale] = await tick("2026-12-01T18:30:01Z");
    expect(stale!.transitions[0]!.finding.summary).toMatch(/has completed since it was first scheduled at 2026-11-30T06:30:00\.000Z/);
    expect(stale!.runId).toBe("");
  });

  it("tries a stale-run alert no channel took again next hour, and records each try", async () => {
    let down = true;
    const teams = recordingSink("teams", () => down);
    const { check, tick, store } = await setUp({}, [teams]);
    await check(EOP);
    const [first] = await tick("2026-12-01T19:00:00Z");
    expect(teams.alerts).toEqual([]);
    const record = (await store.get("alert", first!.id))!.value as { deliveries: { status: string }[] };
    expect(record.deliveries.map((d) => d.status)).toEqual(["failed"]);
    down = false;
    await tick("2026-12-01T20:00:00Z");
    expect(teams.alerts.map((a) => a.id)).toEqual([first!.id]);
    expect(await tick("2026-12-01T21:00:00Z")).toEqual([]);
  });

  it("only logs, once, for a tenant without a channel, and alerts when one is configured", async () => {
    const sink = recordingSink();
    const { check, tick, lines, deps } = await setUp({}, []);
    await check(EOP);
    await tick("2026-12-01T19:00:00Z");
    await tick("2026-12-01T20:00:00Z");
    expect(lines.filter((l) => l.includes("has no alert channel"))).toHaveLength(1);
    deps.sinks = async () => [sink];
    await tick("2026-12-01T21:00:00Z");
    expect(sink.alerts.map((a) => a.kind)).toEqual(["stale-run"]);
  });

  it("sends once when two firings meet", async () => {
    const sink = recordingSink();
    const { check, deps, clock } = await setUp({}, [sink]);
    await check(EOP);
    clock.now = new Date("2026-12-01T19:00:00Z");
    await Promise.all([sendScheduledAlerts(deps, TENANT), sendScheduledAlerts(deps, TENANT), sendScheduledAlerts(deps, TENANT)]);
    expect(sink.alerts).toHaveLength(1);
  });
});

describe("digests", () => {
  it("repeats what is open at its hour, once a day, without the snoozed findings and never when all is in sync", async () => {
    const sink = recordingSink();
    const { check, tick, clock, store } = await setUp({ digest: { every: "day", hour: 7, weekday: "monday" } }, [sink]);
    await check(["40.92.0.0/15", "198.51.100.0/24"]);
    expect(sink.alerts.map((a) => a.kind)).toEqual(["drift"]);
    await snoozeFinding(
      store,
      TENANT,
      { finding: "stale-eop-range:allowlist:fw", reason: "partner", by: "admin@contoso.com", until: "2026-12-10T00:00:00Z" },
      clock.now,
      "snooze",
    );
    expect(await tick("2026-11-30T06:30:00Z")).toEqual([]); // the first digest waits for its hour
    const [digest] = await tick("2026-11-30T07:30:00Z");
    expect(digest).toMatchObject({ kind: "digest", headline: "1 finding is still open (and 1 snoozed, not listed)." });
    expect(digest!.transitions.map((t) => `${t.kind} ${t.finding.id}`)).toEqual(["unchanged missing-eop-range:allowlist:fw"]);
    expect(await tick("2026-11-30T08:30:00Z")).toEqual([]);
    expect((await tick("2026-12-01T07:30:00Z")).map((a) => a.id)).toEqual([`${TENANT}/digest/2026-12-01T07:00:00.000Z`]);
    clock.now = new Date("2026-12-02T06:00:00Z");
    await check(EOP);
    expect(await tick("2026-12-02T07:30:00Z")).toEqual([]);
  });

  it("goes weekly on its weekday", async () => {
    const { check, tick } = await setUp({ digest: { every: "week", hour: 7, weekday: "wednesday" } });
    await check(["40.92.0.0/15"]);
    // Configured on a Monday: nothing until Wednesday's slot.
    expect(await tick("2026-11-30T07:30:00Z")).toEqual([]);
    expect(await tick("2026-12-01T07:30:00Z")).toEqual([]);
    const digests = (await tick("2026-12-02T07:30:00Z")).filter((a) => a.kind === "digest");
    expect(digests.map((a) => a.id)).toEqual([`${TENANT}/digest/2026-12-02T07:00:00.000Z`]);
  });
});

describe("the weekly heartbeat", () => {
  it("says all checks ran after a week of daily checks, and names the gap when two were missed", async () => {
    const sink = recordingSink();
    const { check, tick, clock } = await setUp({ heartbeat: { hour: 7, weekday: "monday" }, thresholds: { staleRunAfterHours: 36 } }, [sink]);
    expect(await tick("2026-11-30T06:00:00Z")).toEqual([]); // the first heartbeat waits for its slot
    const day = (i: number) => new Date(Date.parse("2026-12-01T06:00:00Z") + i * 24 * HOUR);
    for (let i = 0; i < 7; i++) {
      clock.now = day(i);
      await check(EOP);
    }
    const [heartbeat] = await tick("2026-12-07T07:30:00Z");
    expect(heartbeat).toMatchObject({ kind: "heartbeat", heartbeat: { allRan: true, completed: 7 } });
    expect(heartbeat!.headline).toBe("All checks ran: 7 checks completed this week; 0 findings open.");
    expect(await tick("2026-12-07T08:30:00Z")).toEqual([]);
    for (const i of [7, 8, 11, 12, 13]) {
      clock.now = day(i);
      await check(EOP);
    }
    const sent = await tick("2026-12-14T07:30:00Z");
    expect(sent.map((a) => [a.kind, a.heartbeat?.allRan])).toEqual([["heartbeat", false]]);
    expect(sent[0]!.headline).toMatch(/^Not all checks ran: 5 checks completed this week, none from 2026-12-09T06:00:00\.000Z to 2026-12-12T06:00/);
  });
});

describe("the alert threshold", () => {
  it("keeps findings below it quiet, and tells them once it is lowered", async () => {
    const sink = recordingSink();
    const { check, store, clock } = await setUp({ thresholds: { minSeverity: "error" } }, [sink]);
    await check([...EOP, "198.51.100.0/24"]); // a stale range: a warning
    expect(sink.alerts).toEqual([]);
    await saveAlertConfig(store, TENANT, { teams: { webhookUrl: WEBHOOK } });
    clock.now = new Date(clock.now.getTime() + 24 * HOUR);
    await check([...EOP, "198.51.100.0/24"]);
    expect(sink.alerts.map((a) => a.transitions.map((t) => `${t.kind} ${t.finding.rule}`))).toEqual([["unchanged stale-eop-range"]]);
  });
});

describe("the alertSchedule timer", () => {
  it("goes through every registered tenant, and fails, naming it, when one could not be handled", async () => {
    const sink = recordingSink();
    const { check, deps, clock, store } = await setUp({}, [sink]);
    await check(EOP);
    await saveInventory(store, observations({ tenant: "fabrikam.onmicrosoft.com" }).inventory);
    await store.put("alert-schedule", "fabrikam.onmicrosoft.com", { firstSeenAt: "yesterday" });
    clock.now = new Date("2026-12-01T19:00:00Z");
    const { context, logs } = invocation("alertSchedule");
    const handler = alertSchedule(async () => deps as unknown as HandlerDeps);
    await expect(handler(timer, context)).rejects.toThrow(/^the scheduled alerts of 1 tenant failed: fabrikam\.onmicrosoft\.com$/);
    expect(sink.alerts.map((a) => a.tenant)).toEqual([TENANT]);
    expect(logs.map((l) => l.text)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^the scheduled alerts of fabrikam\.onmicrosoft\.com failed: stored alert schedule/)]),
    );
  });
});
