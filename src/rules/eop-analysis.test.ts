import { describe, expect, it } from "vitest";
import { observations } from "../../test/support/observations.js";
import type { InventoryTarget } from "../inventory/inventory.js";
import { RangeSet } from "../ip/index.js";
import { analyseTarget } from "./eop-analysis.js";
import { missingEopRange } from "./missing-eop-range.js";
import { staleEopRange } from "./stale-eop-range.js";

const EOP = RangeSet.parse(["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17", "2a01:111:f400::/48", "2a01:111:f403::/48"]);

const target = (over: Partial<InventoryTarget>): InventoryTarget => ({
  kind: "receive-connector",
  name: "EX01\\Inbound from Office 365",
  mode: "exact",
  entries: [],
  protected: [],
  removable: [],
  path: "receiveConnectors[0].remoteIPRanges",
  trustedForCloudMail: false,
  modeFrom: "document",
  ...over,
});

describe("analyseTarget", () => {
  it("judges no address of a family the feed has nothing of (a feed saved with NoIPv6=true)", () => {
    const ipv4Only = RangeSet.parse(["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17"]);
    const a = analyseTarget(
      target({
        entries: ["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17", "65.55.88.0/24", "2a01:111:f400::/48", "2a01:111:f403::/48"],
      }),
      ipv4Only,
      { allowRemovals: true },
    );
    // The IPv6 EOP ranges stay: the feed says nothing of them. The stale IPv4 range goes.
    expect(a.stale.toCidrs()).toEqual(["65.55.88.0/24"]);
    expect(a.remove).toEqual(["65.55.88.0/24"]);
    expect(a.missing.isEmpty).toBe(true);
  });

  it("uses coverage semantics: two /16s cover the /15, in any form", () => {
    const a = analyseTarget(
      target({
        entries: [
          "40.92.0.0/16",
          "40.93.0.0-40.93.255.255",
          "40.107.0.0/16",
          "52.100.0.0/14",
          "104.47.0.0/17",
          "2a01:111:f400::/47",
          "2a01:111:f402::/47",
        ],
      }),
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
        entries: ["198.51.100.7", "40.92.0.0/15", "40.107.0.0/16", "65.55.88.0/24", "104.47.0.0/17", "203.0.113.0/24", "65.55.88.0/24"],
        protected: ["198.51.100.7", "203.0.113.25"],
      }),
      EOP,
      { allowRemovals: true },
    );
    expect(a.missing.toCidrs()).toEqual(["52.100.0.0/14", "2a01:111:f400::/48", "2a01:111:f403::/48"]);
    expect(a.stale.toCidrs()).toContain("65.55.88.0/24");
    expect(a.stale.toCidrs()).not.toContain("198.51.100.7/32");
    expect(a.remove).toEqual(["65.55.88.0/24"]);
    expect(a.held).toEqual(["203.0.113.0/24"]);
    expect(a.add).toEqual(["52.100.0.0/14", "2a01:111:f400::/48", "2a01:111:f403::/48"]);
  });

  it("never proposes to remove loopback or private entries unless they are listed as removable", () => {
    const entries = ["127.0.0.1", "::1", "10.0.0.0/24", "192.168.20.10-192.168.20.19", "fe80::1%11", "40.92.0.0/15", "65.55.88.0/24"];
    const kept = analyseTarget(target({ entries }), EOP, { allowRemovals: true });
    expect(kept.remove).toEqual(["65.55.88.0/24"]);
    expect(kept.stale.toCidrs()).toEqual(["65.55.88.0/24"]);
    const removable = analyseTarget(target({ entries, removable: ["10.0.0.0/8", "::1"] }), EOP, { allowRemovals: true });
    expect(removable.remove).toEqual(["::1", "10.0.0.0/24", "65.55.88.0/24"]);
  });

  it("an entry only partly EOP is removed and its EOP part added back", () => {
    const a = analyseTarget(
      target({ entries: ["40.92.0.0/14", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17", "2a01:111:f400::/48", "2a01:111:f403::/48"] }),
      EOP,
      {
        allowRemovals: true,
      },
    );
    expect(a.stale.toCidrs()).toEqual(["40.94.0.0/15"]);
    expect(a.remove).toEqual(["40.92.0.0/14"]);
    expect(a.add).toEqual(["40.92.0.0/15"]);
    // Nothing was missing before the removal: all of the addition is the removed entry's EOP part.
    expect(a.missing.isEmpty).toBe(true);
    expect(a.addBack).toEqual(["40.92.0.0/15"]);
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

describe("missing-eop-range and stale-eop-range", () => {
  const eopRanges = EOP.toCidrs();
  const rules = (inventory: Parameters<typeof observations>[0]) => {
    const o = observations(inventory, { eopRanges });
    return [...missingEopRange.evaluate(o), ...staleEopRange.evaluate(o)];
  };

  it("name the target and the exact ranges, IPv4 before IPv6, with the change as data", () => {
    const findings = rules({
      allowlists: [{ name: "edge-fw smtp-in", mode: "exact", entries: ["40.92.0.0/16", "40.93.0.0/16", "198.51.100.0/24"], protected: [] }],
    });
    expect(findings.map((f) => [f.rule, f.subject, f.ranges])).toEqual([
      [
        "missing-eop-range",
        { kind: "allowlist", name: "edge-fw smtp-in" },
        ["40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17", "2a01:111:f400::/48", "2a01:111:f403::/48"],
      ],
      ["stale-eop-range", { kind: "allowlist", name: "edge-fw smtp-in" }, ["198.51.100.0/24"]],
    ]);
    expect(findings[0]!.id).toBe("missing-eop-range:allowlist:edge-fw smtp-in");
    expect(findings[0]!.summary).toBe(
      "Allowlist edge-fw smtp-in lacks 5 EOP ranges: 40.107.0.0/16, 52.100.0.0/14, 104.47.0.0/17, 2a01:111:f400::/48 and 1 more.",
    );
    expect(findings[0]!.impact).toMatch(/firewall drops SMTP/);
    const target = { kind: "allowlist", name: "edge-fw smtp-in" };
    expect(findings[0]!.changes).toEqual([{ kind: "ranges", target, add: findings[0]!.ranges, remove: [], held: [] }]);
    expect(findings[1]!.changes).toEqual([{ kind: "ranges", target, add: [], remove: ["198.51.100.0/24"], held: [] }]);
  });

  it("find nothing for a target that allows exactly EOP", () => {
    expect(rules({ receiveConnectors: [{ identity: "EX01\\EOP", mode: "exact", remoteIPRanges: eopRanges, protected: [] }] })).toEqual([]);
  });

  it("give the same problem the same id and digest across runs, and a new digest when its ranges change", () => {
    const inventory = (entries: string[]) => ({ allowlists: [{ name: "fw", mode: "exact" as const, entries, protected: [] }] });
    const [a] = rules(inventory(["40.92.0.0/15"]));
    const again = missingEopRange.evaluate({
      ...observations(inventory(["40.92.0.0/15"]), { eopRanges, version: "2026010100" }),
      at: new Date("2027-01-01T00:00:00Z"),
      runId: "other",
    })[0];
    const [changed] = rules(inventory(["40.92.0.0/15", "40.107.0.0/16"]));
    expect(again!.id).toBe(a!.id);
    expect(again!.digest).toBe(a!.digest);
    expect(changed!.id).toBe(a!.id);
    expect(changed!.digest).not.toBe(a!.digest);
    expect(a!.digest).toMatch(/^[0-9a-f]{32}$/);
  });
});
