/**
 * Finding state across runs and alerts, through the tenant check the queue
 * worker runs, on Table Storage: the same drift alerts once, its fix once,
 * and then nothing; a snooze silences until it ends or the drift changes; a
 * channel that fails is tried again by the next run, once.
 */
import { TableClient } from "@azure/data-tables";
import { describe, expect, inject, it } from "vitest";
import type { Sink } from "../src/alerts/alert.js";
import { saveAlertConfig } from "../src/alerts/config.js";
import { snoozeFinding, unsnoozeFinding } from "../src/alerts/snooze.js";
import { checkTenant } from "../src/check/tenant-check.js";
import type { CheckReport } from "../src/core/check.js";
import { saveFeedState } from "../src/feed/feed-state.js";
import { saveInventory } from "../src/inventory/inventory-store.js";
import { pruneRuns } from "../src/run/retention.js";
import { createRun } from "../src/run/run.js";
import { TableStateStore } from "../src/state/table-store.js";
import { observations } from "./support/observations.js";
import { recordingSink } from "./support/recording-sink.js";
import { uniqueTableName } from "./support/tables.js";

const TENANT = "contoso.onmicrosoft.com";
const EOP = ["40.92.0.0/15", "52.100.0.0/14"];

async function setUp(sinks: Sink[]) {
  const store = new TableStateStore(
    TableClient.fromConnectionString(inject("azuriteTableConnectionString"), uniqueTableName("alerts"), { allowInsecureConnection: true }),
  );
  const base = observations({}, { eopRanges: EOP });
  await saveFeedState(store, { instance: "Worldwide", lastGood: base.eop.inForce }, undefined);
  await saveAlertConfig(store, TENANT, {
    teams: { webhookUrl: "https://prod-00.westeurope.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=s" },
  });
  const clock = { now: new Date("2026-11-22T06:00:00Z") };
  let n = 0;
  const deps = { store, now: () => clock.now, log: () => {}, sinks: async () => sinks };
  /** One daily check with the allowlist as given; returns what was sent on each sink. */
  const check = async (entries: string[]) => {
    await saveInventory(store, observations({ tenant: TENANT, allowlists: [{ name: "fw", mode: "exact", entries, protected: [] }] }).inventory);
    const runId = `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`;
    await createRun(store, { id: runId, trigger: "timer", tenants: [TENANT], now: clock.now });
    const outcome = await checkTenant(deps, runId, TENANT);
    if ("error" in outcome) throw outcome.error;
    clock.now = new Date(clock.now.getTime() + 24 * 3600_000);
    return outcome.check;
  };
  return { store, clock, check };
}

describe("alerts across runs", () => {
  it("sends one alert for a drift seen twice, one for its fix, and nothing for a run in sync after that", async () => {
    const sink = recordingSink();
    const { check } = await setUp([sink]);
    const first = await check(["40.92.0.0/15"]);
    await check(["40.92.0.0/15"]);
    await check(EOP);
    const fourth = await check(EOP);
    expect(sink.alerts.map((a) => a.transitions.map((t) => `${t.kind} ${t.finding.rule} ${t.finding.subject.name}`))).toEqual([
      ["new missing-eop-range fw"],
      ["resolved missing-eop-range fw"],
    ]);
    expect(sink.alerts[0]!.headline).toBe(first.report.summary[0]);
    expect(sink.alerts[0]!.transitions[0]!.finding.ranges).toEqual(["52.100.0.0/14"]);
    expect(fourth.report.transitions).toEqual([]);
  });

  it("keeps each finding's state in the report: new, then unchanged since the first run", async () => {
    const { check } = await setUp([recordingSink()]);
    const first = await check(["40.92.0.0/15"]);
    const second = await check(["40.92.0.0/15"]);
    const states = (r: CheckReport) => r.transitions!.map((t) => [t.kind, t.since, t.alert]);
    expect(states(first.report)).toEqual([["new", "2026-11-22T06:00:00.000Z", true]]);
    expect(states(second.report)).toEqual([["unchanged", "2026-11-22T06:00:00.000Z", false]]);
  });

  it("stays silent for a snoozed finding until the snooze ends, and speaks when its drift changes", async () => {
    const sink = recordingSink();
    const { store, clock, check } = await setUp([sink]);
    const first = await check(["40.92.0.0/15", "198.51.100.0/24"]);
    expect(sink.alerts).toHaveLength(1);
    const stale = first.findings.find((f) => f.rule === "stale-eop-range")!;
    const until = new Date(clock.now.getTime() + 36 * 3600_000).toISOString();
    await snoozeFinding(store, TENANT, { finding: stale.id, reason: "partner moves on Friday", by: "admin@contoso.com", until }, clock.now, "snooze");
    await check(["40.92.0.0/15", "198.51.100.0/24"]);
    expect(sink.alerts).toHaveLength(1);
    // The stale set grows: another problem than the one snoozed.
    await check(["40.92.0.0/15", "198.51.100.0/24", "203.0.113.0/24"]);
    expect(sink.alerts.at(-1)!.transitions.map((t) => `${t.kind} ${t.finding.rule}`)).toEqual(["changed stale-eop-range"]);
  });

  it("reminds once when a snooze ends with the finding still open, and not again", async () => {
    const sink = recordingSink();
    const { store, clock, check } = await setUp([sink]);
    await check(["40.92.0.0/15"]);
    const id = "missing-eop-range:allowlist:fw";
    const until = new Date(clock.now.getTime() + 12 * 3600_000).toISOString();
    await snoozeFinding(store, TENANT, { finding: id, reason: "change window", by: "admin@contoso.com", until }, clock.now, "snooze");
    await check(["40.92.0.0/15"]); // within the snooze
    expect(sink.alerts).toHaveLength(1);
    await check(["40.92.0.0/15"]); // the snooze has ended
    expect(sink.alerts.at(-1)!.transitions.map((t) => `${t.kind} ${t.finding.id}`)).toEqual([`unchanged ${id}`]);
    await check(["40.92.0.0/15"]);
    expect(sink.alerts).toHaveLength(2);
    expect(await unsnoozeFinding(store, TENANT, id)).toBe(false);
  });

  it("refuses a snooze of a finding that is not open, naming the open ones", async () => {
    const { store, clock, check } = await setUp([recordingSink()]);
    await check(["40.92.0.0/15"]);
    const until = new Date(clock.now.getTime() + 3600_000).toISOString();
    await expect(snoozeFinding(store, TENANT, { finding: "nope", reason: "r", by: "b", until }, clock.now, "snooze")).rejects.toThrow(
      /^snooze: contoso\.onmicrosoft\.com has no open finding "nope" \(open: "missing-eop-range:allowlist:fw"\)$/,
    );
  });

  it("records each delivery, keeps a failing channel from stopping the others, and retries it once in the next run", async () => {
    let down = true;
    const teams = recordingSink("teams", () => down);
    const mail = recordingSink("mail");
    const { store, check } = await setUp([teams, mail]);
    await check(["40.92.0.0/15"]);
    expect(mail.alerts).toHaveLength(1);
    expect(teams.alerts).toHaveLength(0);
    const [key] = await store.list("alert");
    const recorded = (await store.get("alert", key!))!.value as { deliveries: { channel: string; status: string }[]; pending: string[] };
    expect(recorded.deliveries.map((d) => `${d.channel} ${d.status}`)).toEqual(["teams failed", "mail delivered"]);
    expect(recorded.pending).toEqual(["teams"]);
    down = false;
    await check(["40.92.0.0/15"]);
    expect(teams.alerts.map((a) => a.id)).toEqual([key]);
    expect(mail.alerts).toHaveLength(1);
    await check(["40.92.0.0/15"]);
    expect(teams.alerts).toHaveLength(1);
  });

  it("never reads a failed check as resolved", async () => {
    const sink = recordingSink();
    const { store, check } = await setUp([sink]);
    await check(["40.92.0.0/15"]);
    await store.delete("feed", "Worldwide");
    await expect(check(["40.92.0.0/15"])).rejects.toThrow(/no Worldwide feed has been accepted/);
    await saveFeedState(store, { instance: "Worldwide", lastGood: observations({}, { eopRanges: EOP }).eop.inForce }, undefined);
    await check(["40.92.0.0/15"]);
    expect(sink.alerts.map((a) => a.transitions.map((t) => t.kind))).toEqual([["new"]]);
  });

  it("deletes a run's alert with its outputs when the run is pruned", async () => {
    const sink = recordingSink();
    const { store, clock, check } = await setUp([sink]);
    await check(["40.92.0.0/15"]);
    await check(EOP);
    expect(await store.list("alert")).toHaveLength(2);
    await pruneRuns(store, { keep: 1, now: clock.now, log: () => {} });
    const [kept] = await store.list("alert");
    expect(await store.list("alert")).toHaveLength(1);
    expect(kept).toBe(sink.alerts[1]!.id);
  });
});
