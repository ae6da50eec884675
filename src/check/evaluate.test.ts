import { describe, expect, it } from "vitest";
import { MissingFeedError } from "../errors.js";
import type { FeedState } from "../feed/feed-state.js";
import type { Inventory } from "../inventory/inventory.js";
import { ARTIFACTS, evaluateTenant } from "./evaluate.js";

const inventory: Inventory = {
  tenant: "contoso.onmicrosoft.com",
  instance: "Worldwide",
  receiveConnectors: [
    { identity: "EX01\\Inbound from Office 365", mode: "exact", remoteIPRanges: ["127.0.0.1", "40.92.0.0/15", "65.55.88.0/24"], protected: ["127.0.0.1"] },
    { identity: "EX01\\Default Frontend EX01", mode: "superset", remoteIPRanges: ["0.0.0.0-255.255.255.255"], protected: [] },
  ],
  allowlists: [{ name: "edge | fw <smtp>", mode: "superset", entries: ["40.92.0.0/16", "40.93.0.0/16"], protected: [] }],
};

const good = { instance: "Worldwide" as const, version: "2025060100", fetchedAt: "2026-11-22T05:00:00.000Z", source: "https://endpoints.office.com", setIds: [10], eopRanges: ["40.92.0.0/15", "52.100.0.0/14"] };
const run = { runId: "5f1c2f7e-8f0a-4a51-9d9e-0c6a3b1d2e4f", now: new Date("2026-11-22T06:00:00Z") };

describe("evaluateTenant", () => {
  it("reports drift with the summary first and writes every output", () => {
    const { report, artifacts } = evaluateTenant(inventory, { instance: "Worldwide", lastGood: good }, run);
    expect(report.status).toBe("drift");
    expect(report.summary[0]).toBe("Drift: 2 of 3 targets of contoso.onmicrosoft.com do not match the EOP SMTP set (Worldwide feed version 2025060100).");
    expect(report.findings.map((f) => `${f.rule} ${f.target} ${f.ranges.join(",")}`)).toEqual([
      "missing-eop-range edge | fw <smtp> 52.100.0.0/14",
      "missing-eop-range EX01\\Inbound from Office 365 52.100.0.0/14",
      "stale-eop-range EX01\\Inbound from Office 365 65.55.88.0/24",
    ]);
    expect(Object.keys(artifacts).sort()).toEqual([ARTIFACTS.allowlist, ARTIFACTS.json, ARTIFACTS.markdown, ARTIFACTS.script].sort());
    expect(artifacts[ARTIFACTS.allowlist]).toBe("40.92.0.0/15\n52.100.0.0/14\n");
    expect(JSON.parse(artifacts[ARTIFACTS.json]!)).toEqual(JSON.parse(JSON.stringify(report)));
    const md = artifacts[ARTIFACTS.markdown]!;
    expect(md.indexOf("**Drift:")).toBeLessThan(md.indexOf("## What drifted"));
    expect(md).toContain("`edge \\| fw <smtp>`"); // in the targets table
    expect(md).toContain("Allowlist edge \\| fw \\<smtp\\> lacks"); // in prose, inert
  });

  it("is in sync when every target allows the EOP set", () => {
    const inSync: Inventory = { ...inventory, receiveConnectors: [inventory.receiveConnectors[1]!], allowlists: [] };
    const { report } = evaluateTenant(inSync, { instance: "Worldwide", lastGood: good }, run);
    expect(report.status).toBe("in-sync");
    expect(report.findings).toEqual([]);
    expect(report.summary).toEqual(["In sync: all 1 target of contoso.onmicrosoft.com match the EOP SMTP set (Worldwide feed version 2025060100)."]);
  });

  it("under a refused feed: uses the last good one, adds feed-suspicious, proposes no removal", () => {
    const state: FeedState = { instance: "Worldwide", lastGood: good, refused: { version: "2025070100", at: "2026-11-22T05:30:00.000Z", source: "https://endpoints.office.com", reason: "it has no Exchange endpoint set with TCP port 25 (the EOP SMTP set)" } };
    const { report, artifacts } = evaluateTenant(inventory, state, run);
    expect(report.feed.status).toBe("refused");
    expect(report.findings[0]!.rule).toBe("feed-suspicious");
    expect(report.findings[0]!.summary).toContain("was refused: it has no Exchange endpoint set with TCP port 25");
    expect(report.targets.every((t) => t.removeCount === 0)).toBe(true);
    expect(artifacts[ARTIFACTS.script]).not.toContain("Remove =");
  });

  it("keeps the Markdown readable when a target lists thousands of stale ranges; report.json has them all", () => {
    // 1,200 single addresses 2 apart: none merge, so the stale set needs 1,200 CIDRs.
    const entries = Array.from({ length: 1200 }, (_, i) => `10.0.${Math.floor(i / 128)}.${(i % 128) * 2}`);
    const big: Inventory = { ...inventory, receiveConnectors: [], allowlists: [{ name: "dedicated eop", mode: "exact", entries, protected: [] }] };
    const { report, artifacts } = evaluateTenant(big, { instance: "Worldwide", lastGood: good }, run);
    const stale = report.findings.find((f) => f.rule === "stale-eop-range")!;
    expect(stale.ranges).toHaveLength(1200);
    const md = artifacts[ARTIFACTS.markdown]!;
    expect(md).toContain("- … and 700 more in report.json");
    expect(md).not.toContain(entries[600]);
    expect(JSON.parse(artifacts[ARTIFACTS.json]!).findings.find((f: { rule: string }) => f.rule === "stale-eop-range").ranges).toHaveLength(1200);
  });

  it("cannot check without any accepted feed", () => {
    expect(() => evaluateTenant(inventory, { instance: "Worldwide" }, run)).toThrow(MissingFeedError);
  });
});
