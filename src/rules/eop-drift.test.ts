import { describe, expect, it } from "vitest";
import type { InventoryTarget } from "../inventory/inventory.js";
import { RangeSet } from "../ip/index.js";
import { analyseTarget, driftFindings } from "./eop-drift.js";

const EOP = RangeSet.parse(["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17", "2a01:111:f400::/48", "2a01:111:f403::/48"]);
const feed = { version: "2025060100", setIds: [10] };

const target = (over: Partial<InventoryTarget>): InventoryTarget => ({
  kind: "receive-connector",
  name: "EX01\\Inbound from Office 365",
  mode: "exact",
  entries: [],
  protected: [],
  path: "receiveConnectors[0].remoteIPRanges",
  ...over,
});

describe("analyseTarget", () => {
  it("uses coverage semantics: two /16s cover the /15, in any form", () => {
    const a = analyseTarget(
      target({ entries: ["40.92.0.0/16", "40.93.0.0-40.93.255.255", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17", "2a01:111:f400::/47", "2a01:111:f402::/47"] }),
      EOP,
      { allowRemovals: true },
    );
    expect(a.missing.isEmpty).toBe(true);
    // 2a01:111:f400::/47 and f402::/47 cover f401 and f402 too, which are not EOP.
    expect(a.stale.toCidrs()).toEqual(["2a01:111:f401::/48", "2a01:111:f402::/48"]);
    expect(a.remove).toEqual(["2a01:111:f400::/47", "2a01:111:f402::/47"]);
    expect(a.add).toEqual(["2a01:111:f400::/48", "2a01:111:f403::/48"]);
  });

  it("an exact target: removes whole stale entries, keeps protected ones, adds only what is missing after removal", () => {
    const a = analyseTarget(
      target({
        entries: ["127.0.0.1", "40.92.0.0/15", "40.107.0.0/16", "65.55.88.0/24", "104.47.0.0/17", "10.0.0.0/8", "65.55.88.0/24"],
        protected: ["127.0.0.1", "10.1.2.3"],
      }),
      EOP,
      { allowRemovals: true },
    );
    expect(a.missing.toCidrs()).toEqual(["52.100.0.0/14", "2a01:111:f400::/48", "2a01:111:f403::/48"]);
    expect(a.stale.toCidrs()).toContain("65.55.88.0/24");
    expect(a.stale.toCidrs()).not.toContain("127.0.0.1/32");
    expect(a.remove).toEqual(["65.55.88.0/24"]);
    expect(a.held).toEqual(["10.0.0.0/8"]);
    expect(a.add).toEqual(["52.100.0.0/14", "2a01:111:f400::/48", "2a01:111:f403::/48"]);
  });

  it("an entry only partly EOP is removed and its EOP part added back", () => {
    const a = analyseTarget(target({ entries: ["40.92.0.0/14", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17", "2a01:111:f400::/48", "2a01:111:f403::/48"] }), EOP, {
      allowRemovals: true,
    });
    expect(a.stale.toCidrs()).toEqual(["40.94.0.0/15"]);
    expect(a.remove).toEqual(["40.92.0.0/14"]);
    expect(a.add).toEqual(["40.92.0.0/15"]);
    // After the change the target allows exactly EOP.
    const after = RangeSet.parse([...a.add, ...["40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17", "2a01:111:f400::/48", "2a01:111:f403::/48"]]);
    expect(after.equals(EOP)).toBe(true);
  });

  it("proposes no removal while the feed is refused, but still reports what is stale", () => {
    const a = analyseTarget(target({ entries: ["65.55.88.0/24"] }), EOP, { allowRemovals: false });
    expect(a.stale.toCidrs()).toEqual(["65.55.88.0/24"]);
    expect(a.remove).toEqual([]);
    expect(a.add).toEqual(EOP.toCidrs());
  });

  it("a superset target never reports stale entries", () => {
    const a = analyseTarget(target({ mode: "superset", entries: ["0.0.0.0-255.255.255.255"] }), EOP, { allowRemovals: true });
    expect(a.stale.isEmpty).toBe(true);
    expect(a.remove).toEqual([]);
    expect(a.add).toEqual(["2a01:111:f400::/48", "2a01:111:f403::/48"]);
  });
});

describe("driftFindings", () => {
  it("names the target and the exact ranges, IPv4 before IPv6", () => {
    const a = analyseTarget(target({ kind: "allowlist", name: "edge-fw smtp-in", mode: "exact", entries: ["40.92.0.0/16", "40.93.0.0/16", "198.51.100.0/24"] }), EOP, {
      allowRemovals: true,
    });
    const findings = driftFindings(a, feed);
    expect(findings.map((f) => [f.rule, f.target, f.ranges])).toEqual([
      ["missing-eop-range", "edge-fw smtp-in", ["40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17", "2a01:111:f400::/48", "2a01:111:f403::/48"]],
      ["stale-eop-range", "edge-fw smtp-in", ["198.51.100.0/24"]],
    ]);
    expect(findings[0]!.id).toBe("missing-eop-range:allowlist:edge-fw smtp-in");
    expect(findings[0]!.summary).toBe("Allowlist edge-fw smtp-in lacks 5 EOP ranges: 40.107.0.0/16, 52.100.0.0/14, 104.47.0.0/17, 2a01:111:f400::/48 and 1 more.");
    expect(findings[0]!.impact).toMatch(/firewall drops SMTP/);
  });

  it("finds nothing for a target that allows exactly EOP", () => {
    const a = analyseTarget(target({ entries: EOP.toCidrs() }), EOP, { allowRemovals: true });
    expect(driftFindings(a, feed)).toEqual([]);
  });
});
