import { describe, expect, it } from "vitest";
import { observations, REFUSED } from "../../test/support/observations.js";
import type { CheckReport } from "../core/check.js";
import { MissingFeedError } from "../errors.js";
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
    expect(Object.keys(artifacts)).toEqual(OUTPUTS.map((o) => o.file));
    expect(report.artifacts.map((a) => a.file)).toEqual(OUTPUTS.map((o) => o.file));
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
    expect(() => observeEop({ instance: "Worldwide" })).toThrow(MissingFeedError);
    expect(() => observeEop({ instance: "Worldwide", refused: REFUSED })).toThrow(/was refused \(it would remove 60 %/);
  });
});
