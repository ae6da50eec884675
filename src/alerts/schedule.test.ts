import { describe, expect, it } from "vitest";
import type { FindingState } from "./finding-state.js";
import {
  digestAlert,
  heartbeatAlert,
  heartbeatSummary,
  isStale,
  latestSlot,
  scheduledAlertTime,
  staleRunAlert,
  staleRunFinding,
} from "./schedule.js";

const at = (iso: string) => new Date(iso);
const iso = (d: Date) => d.toISOString();
const BASE = { tenant: "contoso.onmicrosoft.com", runId: "r1", instance: "Worldwide", at: "2026-12-07T07:30:00.000Z", links: undefined };

function state(open: Record<string, { severity: "error" | "warning" | "info"; since: string }>, extra: Partial<FindingState> = {}): FindingState {
  return {
    tenant: BASE.tenant,
    runId: "r1",
    updatedAt: "2026-12-07T06:00:00.000Z",
    open: Object.fromEntries(
      Object.entries(open).map(([id, o]) => [
        id,
        {
          since: o.since,
          alertedDigest: "d",
          finding: {
            id,
            digest: "d",
            rule: id.split(":")[0]!,
            severity: o.severity,
            subject: { kind: "allowlist", name: "fw" },
            summary: `${id} summary`,
            impact: "mail stops",
            ranges: [],
            rangeCount: 0,
          },
        },
      ]),
    ),
    snoozes: {},
    checks: [],
    certificates: {},
    ...extra,
  } as FindingState;
}

describe("latestSlot", () => {
  it.each([
    ["2026-12-02T07:00:00Z", "day", "2026-12-02T07:00:00.000Z"],
    ["2026-12-02T06:59:59Z", "day", "2026-12-01T07:00:00.000Z"],
    ["2026-12-02T23:00:00Z", "day", "2026-12-02T07:00:00.000Z"],
    // 2026-12-07 is a Monday.
    ["2026-12-07T07:00:00Z", "week", "2026-12-07T07:00:00.000Z"],
    ["2026-12-07T06:00:00Z", "week", "2026-11-30T07:00:00.000Z"],
    ["2026-12-13T23:59:00Z", "week", "2026-12-07T07:00:00.000Z"],
    ["2027-01-01T12:00:00Z", "week", "2026-12-28T07:00:00.000Z"],
  ] as const)("at %s, every %s: %s", (now, every, slot) => {
    expect(iso(latestSlot(at(now), { hour: 7, weekday: "monday" }, every))).toBe(slot);
  });

  it("takes the weekday of a weekly slot", () => {
    expect(iso(latestSlot(at("2026-12-07T07:00:00Z"), { hour: 0, weekday: "sunday" }, "week"))).toBe("2026-12-06T00:00:00.000Z");
    expect(iso(latestSlot(at("2026-12-07T07:00:00Z"), { hour: 0, weekday: "tuesday" }, "week"))).toBe("2026-12-01T00:00:00.000Z");
  });
});

describe("isStale", () => {
  it("holds only past the limit", () => {
    expect(isStale(at("2026-12-01T06:00:00Z"), at("2026-12-02T18:00:00Z"), 36)).toBe(false);
    expect(isStale(at("2026-12-01T06:00:00Z"), at("2026-12-02T18:00:01Z"), 36)).toBe(true);
  });
});

describe("the digest", () => {
  it("lists what is open, errors first, leaves out what a snooze still holds, and counts it", () => {
    const s = state(
      {
        "stale-eop-range:allowlist:fw": { severity: "warning", since: "2026-12-01T06:00:00.000Z" },
        "missing-eop-range:allowlist:fw": { severity: "error", since: "2026-12-03T06:00:00.000Z" },
        "no-eop-target:tenant:x": { severity: "warning", since: "2026-12-02T06:00:00.000Z" },
      },
      { snoozes: { "no-eop-target:tenant:x": { reason: "r", by: "b", until: "2026-12-10T00:00:00.000Z", digest: "d" } } },
    );
    const alert = digestAlert(BASE, s, at("2026-12-07T07:00:00Z"))!;
    expect(alert.id).toBe("contoso.onmicrosoft.com/digest/2026-12-07T07:00:00.000Z");
    expect(alert.kind).toBe("digest");
    expect(alert.headline).toBe("2 findings are still open (and 1 snoozed, not listed).");
    expect(alert.transitions.map((t) => [t.kind, t.finding.id, t.alert])).toEqual([
      ["unchanged", "missing-eop-range:allowlist:fw", true],
      ["unchanged", "stale-eop-range:allowlist:fw", true],
    ]);
  });

  it("lists a finding whose snooze ended or was given for another digest", () => {
    const s = state(
      { "a:x:y": { severity: "error", since: "2026-12-01T06:00:00.000Z" }, "b:x:y": { severity: "error", since: "2026-12-01T06:00:00.000Z" } },
      {
        snoozes: {
          "a:x:y": { reason: "r", by: "b", until: "2026-12-07T07:00:00.000Z", digest: "d" },
          "b:x:y": { reason: "r", by: "b", until: "2026-12-10T00:00:00.000Z", digest: "other" },
        },
      },
    );
    expect(digestAlert(BASE, s, at("2026-12-07T07:00:00Z"))!.transitions).toHaveLength(2);
  });

  it("is nothing when nothing is open", () => {
    expect(digestAlert(BASE, state({}), at("2026-12-07T07:00:00Z"))).toBeUndefined();
  });
});

describe("the heartbeat", () => {
  const daily = (from: string, days: number, skip: number[] = []) =>
    Array.from({ length: days }, (_, i) => i)
      .filter((i) => !skip.includes(i))
      .map((i) => new Date(Date.parse(from) + i * 86_400_000).toISOString());

  it("says all checks ran when no stretch of the week went past the limit", () => {
    const s = state({ "a:x:y": { severity: "error", since: "2026-12-01T06:00:00.000Z" } }, { checks: daily("2026-12-01T06:00:00Z", 7) });
    const summary = heartbeatSummary(s, at("2026-12-07T07:00:00Z"), 36);
    expect(summary).toMatchObject({ allRan: true, completed: 7, lastCompleted: "2026-12-07T06:00:00.000Z", open: 1, snoozed: 0 });
    expect(summary.longestGap.hours).toBe(24);
    expect(heartbeatAlert(BASE, summary).headline).toBe("All checks ran: 7 checks completed this week; 1 finding open.");
  });

  it("names the stretch without checks when some did not run", () => {
    const s = state({}, { checks: daily("2026-12-01T06:00:00Z", 7, [2, 3]) });
    const summary = heartbeatSummary(s, at("2026-12-07T07:00:00Z"), 36);
    expect(summary).toMatchObject({ allRan: false, completed: 5, longestGap: { from: "2026-12-02T06:00:00.000Z", to: "2026-12-05T06:00:00.000Z" } });
    expect(heartbeatAlert(BASE, summary).headline).toBe(
      "Not all checks ran: 5 checks completed this week, none from 2026-12-02T06:00:00.000Z to 2026-12-05T06:00:00.000Z (72 h; the limit is 36 h).",
    );
  });

  it("counts only the week before the slot, and a tenant never checked as not run", () => {
    const s = state({}, { checks: ["2026-11-29T06:00:00.000Z", "2026-12-07T07:00:01.000Z"] });
    expect(heartbeatSummary(s, at("2026-12-07T07:00:00Z"), 36)).toMatchObject({ allRan: false, completed: 0 });
    expect(heartbeatSummary(undefined, at("2026-12-07T07:00:00Z"), 36)).toMatchObject({ allRan: false, completed: 0, longestGap: { hours: 168 } });
  });
});

describe("the stale-run alert", () => {
  it("opens and resolves the same pseudo-finding, with its own keys", () => {
    const since = at("2026-12-05T06:00:00Z");
    const finding = staleRunFinding(BASE.tenant, since, 36, false);
    const opened = staleRunAlert(BASE, finding, since, undefined);
    const resolved = staleRunAlert(BASE, finding, since, "2026-12-07T06:00:00.000Z");
    expect(opened.id).toBe("contoso.onmicrosoft.com/stale-run/2026-12-05T06:00:00.000Z");
    expect(resolved.id).toBe(`${opened.id}/resolved`);
    expect(opened.transitions.map((t) => t.kind)).toEqual(["new"]);
    expect(resolved.transitions.map((t) => [t.kind, t.finding.id])).toEqual([["resolved", finding.id]]);
    expect(opened.headline).toBe("No check of contoso.onmicrosoft.com has completed since 2026-12-05T06:00:00.000Z (the limit is 36 h).");
    expect(resolved.headline).toBe("Checks complete again: the last at 2026-12-07T06:00:00.000Z.");
    expect(staleRunFinding(BASE.tenant, since, 36, true).summary).toMatch(/since it was first scheduled at/);
  });

  it("keys scheduled alerts apart from a run's", () => {
    expect(scheduledAlertTime("contoso.onmicrosoft.com/stale-run/2026-12-05T06:00:00.000Z/resolved")).toBe(Date.parse("2026-12-05T06:00:00Z"));
    expect(scheduledAlertTime("contoso.onmicrosoft.com/digest/2026-12-05T07:00:00.000Z")).toBe(Date.parse("2026-12-05T07:00:00Z"));
    expect(scheduledAlertTime("contoso.onmicrosoft.com/00000000-0000-4000-8000-000000000001")).toBeUndefined();
    expect(scheduledAlertTime("contoso.onmicrosoft.com/digest/not-a-time")).toBeUndefined();
  });
});
