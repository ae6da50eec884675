import { describe, expect, it } from "vitest";
import { observations, REFUSED } from "../../test/support/observations.js";
import type { CheckReport } from "../core/check.js";
import { MissingFeedError, StaleFeedError } from "../errors.js";
import type { FeedState } from "../feed/feed-state.js";
import type { InventoryInput } from "../inventory/inventory.js";
import { OUTPUTS } from "../outputs/index.js";
import { evaluate, observeEop } from "./evaluate.js";

const inventory: Partial<InventoryInput> = {
  receiveConnectors: [
    {
      identity: "EX01\\Inbound from Office 365",
      mode: "exact",
      remoteIPRanges: ["127.0.0.1", "40.92.0.0/15", "65.55.88.0/24"],
      protected: ["127.0.0.1"],
    },
    { identity: "EX01\\Default Frontend EX01", mode: "superset", remoteIPRanges: ["0.0.0.0-255.255.255.255"], protected: [] },
  ],
  allowlists: [{ name: "edge | fw <smtp>", mode: "superset", entries: ["40.92.0.0/16", "40.93.0.0/16"], protected: [] }],
};

describe("evaluate", () => {
  it("reports drift with the summary first, findings in rule order, and writes every output", () => {
    const { check, artifacts } = evaluate(observations(inventory));
    const { report } = check;
    expect(report.status).toBe("drift");
    // Default Frontend is open to everything: listed, never checked.
    expect(report.summary[0]).toBe(
      "Drift: 2 of 2 targets of contoso.onmicrosoft.com do not match the EOP SMTP set (Worldwide feed version 2025060100).",
    );
    expect(report.findings.map((f) => `${f.rule} ${f.subject.name} ${f.ranges?.join(",")}`)).toEqual([
      "missing-eop-range edge | fw <smtp> 52.100.0.0/14",
      "missing-eop-range EX01\\Inbound from Office 365 52.100.0.0/14",
      "stale-eop-range EX01\\Inbound from Office 365 65.55.88.0/24",
    ]);
    expect(report.evidence.inventory.targets.map((t) => [t.name, t.checked, t.inSync, t.addCount, t.removeCount])).toEqual([
      ["EX01\\Inbound from Office 365", true, false, 1, 1],
      ["EX01\\Default Frontend EX01", false, true, 0, 0],
      ["edge | fw <smtp>", true, false, 1, 0],
    ]);
    // Without an Exchange Online side there is no Exchange Online script; every other output is written.
    const written = OUTPUTS.map((o) => o.file).filter((f) => f !== "exchange-online-remediation.ps1");
    expect(Object.keys(artifacts)).toEqual(written);
    expect(report.artifacts.map((a) => a.file)).toEqual(written);
    expect(artifacts["eop-allowlist.txt"]).toBe("40.92.0.0/15\n52.100.0.0/14\n");
    const json = JSON.parse(artifacts["report.json"]!) as CheckReport;
    expect(json.findings.map((f) => f.id)).toEqual(report.findings.map((f) => f.id));
    expect(json.findings[2]!.changes).toEqual([
      { kind: "ranges", target: { kind: "receive-connector", name: "EX01\\Inbound from Office 365" }, add: [], remove: ["65.55.88.0/24"], held: [] },
    ]);
    expect(json.evidence.eop.feed).toMatchObject({ status: "accepted", version: "2025060100", setIds: [10] });
    const md = artifacts["report.md"]!;
    expect(md.indexOf("**Drift:")).toBeLessThan(md.indexOf("## What drifted"));
    expect(md).toContain("`edge \\| fw <smtp>`"); // in the targets table
    expect(md).toContain("Allowlist edge \\| fw \\<smtp\\> lacks"); // in prose, inert
  });

  it("is in sync when every target allows the EOP set", () => {
    const { check } = evaluate(
      observations({ allowlists: [{ name: "fw", mode: "superset", entries: ["40.92.0.0/14", "52.100.0.0/14"], protected: [] }] }),
    );
    expect(check.report.status).toBe("in-sync");
    expect(check.findings).toEqual([]);
    expect(check.report.summary).toEqual([
      "In sync: all 1 target of contoso.onmicrosoft.com match the EOP SMTP set (Worldwide feed version 2025060100).",
    ]);
  });

  it("under a refused feed: uses the last good one, adds feed-suspicious first, proposes no removal", () => {
    const { check, artifacts } = evaluate(observations(inventory, { refused: REFUSED }));
    const { report } = check;
    expect(report.evidence.eop.feed.status).toBe("refused");
    expect(report.findings[0]!.rule).toBe("feed-suspicious");
    expect(report.findings[0]!.subject).toEqual({ kind: "feed", name: "Worldwide" });
    expect(report.findings[0]!.summary).toContain(`was refused: ${REFUSED.reason}`);
    expect(report.findings.find((f) => f.rule === "stale-eop-range")!.changes).toEqual([]);
    expect(report.evidence.inventory.targets.every((t) => t.removeCount === 0)).toBe(true);
    expect(artifacts["remediation.ps1"]).not.toContain("Remove =");
  });

  it("keeps the Markdown readable when a target lists thousands of stale ranges; report.json has them all", () => {
    // 1,200 single addresses 2 apart: none merge, so the stale set needs 1,200 CIDRs.
    const entries = Array.from({ length: 1200 }, (_, i) => `198.18.${Math.floor(i / 128)}.${(i % 128) * 2}`);
    const { check, artifacts } = evaluate(observations({ allowlists: [{ name: "dedicated eop", mode: "exact", entries, protected: [] }] }));
    expect(check.findings.find((f) => f.rule === "stale-eop-range")!.ranges).toHaveLength(1200);
    const md = artifacts["report.md"]!;
    expect(md).toContain("- … and 700 more in report.json");
    expect(md).not.toContain(entries[600]);
    const json = JSON.parse(artifacts["report.json"]!) as CheckReport;
    expect(json.findings.find((f) => f.rule === "stale-eop-range")!.ranges).toHaveLength(1200);
  });

  it("cannot observe the EOP set without any accepted feed, and says why", () => {
    const context = { at: new Date(), sync: undefined, maxFeedAgeMs: DAY };
    expect(() => observeEop({ instance: "Worldwide" }, context)).toThrow(MissingFeedError);
    expect(() => observeEop({ instance: "Worldwide", refused: REFUSED }, context)).toThrow(/was refused \(it would remove 60 %/);
  });
});

const DAY = 24 * 3600_000;

describe("a feed that could not be brought up to date", () => {
  const inForce = observations({}).eop.inForce; // fetched 2026-11-22T05:00Z
  const state: FeedState = { instance: "Worldwide", lastGood: inForce };
  const fetched = Date.parse(inForce.fetchedAt);
  const failed = { outcome: "failed", error: "connection refused", at: new Date(fetched + 3 * DAY) };
  const inSync = { allowlists: [{ name: "fw", mode: "superset" as const, entries: ["40.92.0.0/14", "52.100.0.0/14"], protected: [] }] };

  it("is observed with the error and its age, measured from the check's time", () => {
    const at = new Date(fetched + 3 * DAY + 3600_000);
    expect(observeEop(state, { at, sync: failed, maxFeedAgeMs: 7 * DAY }).staleness).toEqual({
      outcome: "failed",
      error: "connection refused",
      confirmedAt: inForce.fetchedAt,
      ageMs: 3 * DAY + 3600_000,
    });
  });

  it("is not stale after a sync that succeeded, after a feed file, or when the feed was brought up to date since the failed sync", () => {
    const at = new Date(fetched + 30 * DAY);
    for (const sync of [undefined, { ...failed, outcome: "unchanged" }, { ...failed, outcome: "refused" }])
      expect(observeEop(state, { at, sync, maxFeedAgeMs: DAY }).staleness).toBeUndefined();
    const since = { ...state, lastVersionCheck: { at: new Date(failed.at.getTime() + 3600_000).toISOString() } };
    expect(observeEop(since, { at, sync: failed, maxFeedAgeMs: 30 * DAY }).staleness).toBeUndefined();
  });

  it("counts from the last /version answer that confirmed the version in force, unless a newer feed was refused", () => {
    const confirmed = { ...state, lastVersionCheck: { at: new Date(fetched + 2 * DAY).toISOString() } };
    const at = new Date(fetched + 3 * DAY);
    expect(observeEop(confirmed, { at, sync: failed, maxFeedAgeMs: 7 * DAY }).staleness).toMatchObject({ ageMs: DAY });
    expect(observeEop({ ...confirmed, refused: REFUSED }, { at, sync: failed, maxFeedAgeMs: 7 * DAY }).staleness).toMatchObject({
      ageMs: 3 * DAY,
    });
  });

  it("adds a feed-stale warning with the one line, and leaves an in-sync status alone", () => {
    const at = new Date(fetched + 3 * DAY);
    const staleness = observeEop(state, { at, sync: failed, maxFeedAgeMs: 7 * DAY }).staleness!;
    const { check, artifacts } = evaluate({ ...observations(inSync, { staleness }), at });
    const { report } = check;
    expect(report.status).toBe("in-sync");
    expect(report.findings.map((f) => [f.rule, f.severity, f.subject.name])).toEqual([["feed-stale", "warning", "Worldwide"]]);
    const line = "The Worldwide feed could not be brought up to date (connection refused); checking against version 2025060100, fetched 3 days ago.";
    expect(report.findings[0]!.summary).toBe(line);
    expect(report.evidence.eop.feed.staleness).toEqual(staleness);
    expect(JSON.parse(artifacts["report.json"]!).evidence.eop.feed.staleness).toEqual(staleness);
    expect(artifacts["report.md"]).toContain(`- ${line}`);
    // The digest stays while the same version stays in force, whatever the error and the age.
    const later = evaluate({ ...observations(inSync, { staleness: { ...staleness, error: "timed out", ageMs: 4 * DAY } }), at });
    expect(later.check.findings[0]!.digest).toBe(report.findings[0]!.digest);
  });

  it("says when it was last confirmed, if later than fetched", () => {
    const confirmed = { ...state, lastVersionCheck: { at: new Date(fetched + 10 * DAY).toISOString() } };
    const at = new Date(fetched + 12 * DAY);
    const staleness = observeEop(confirmed, { at, sync: { ...failed, at }, maxFeedAgeMs: 7 * DAY }).staleness;
    expect(evaluate({ ...observations(inSync, { staleness }), at }).check.findings[0]!.summary).toMatch(
      /checking against version 2025060100, fetched 12 days ago and last confirmed current 2 days ago\.$/,
    );
  });

  it("past the maximum age is not observed: the check fails with one line", () => {
    const at = new Date(fetched + 9 * DAY);
    const observe = () => observeEop(state, { at, sync: { ...failed, at }, maxFeedAgeMs: 36 * 3600_000 });
    expect(observe).toThrow(StaleFeedError);
    expect(observe).toThrow(
      "the Worldwide feed could not be brought up to date (connection refused); version 2025060100 in force was fetched 9 days ago, " +
        "longer ago than the 36 hours MAILFLOW_GUARD_MAX_FEED_AGE allows, so nothing was checked against it",
    );
  });
});
