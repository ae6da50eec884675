import { findingId, type Finding } from "../finding.js";
import type { InventoryTarget } from "../inventory/inventory.js";
import { parsedRange, parseRangeInto, RangeSet } from "../ip/index.js";

/** How one target compares with the EOP SMTP set, and the exact change that fixes it. */
export interface TargetAnalysis {
  target: InventoryTarget;
  /** EOP addresses the target does not allow. */
  missing: RangeSet;
  /** Addresses an exact target allows that are neither EOP nor protected. */
  stale: RangeSet;
  /** Entries to remove, exactly as the target lists them. */
  remove: string[];
  /** Stale entries that stay because they overlap a protected entry. */
  held: string[];
  /** Minimal CIDRs to add once the removals are done. */
  add: string[];
}

export interface AnalyseOptions {
  /** False while the feed is refused: then nothing is proposed for removal. */
  allowRemovals: boolean;
}

/**
 * Compares a target with the EOP set. Removals name whole entries as the
 * target lists them (Exchange and firewalls remove entries, not addresses); an
 * entry that is only partly stale is removed and its EOP part added back, so
 * the result allows exactly EOP plus the protected entries. Additions are
 * computed against what remains, so none duplicates a kept entry.
 */
export function analyseTarget(target: InventoryTarget, eop: RangeSet, options: AnalyseOptions): TargetAnalysis {
  const coverage = RangeSet.parse(target.entries);
  const missing = eop.subtract(coverage);
  if (target.mode === "superset") {
    return { target, missing, stale: RangeSet.empty, remove: [], held: [], add: missing.toCidrs() };
  }
  const protectedSet = RangeSet.parse(target.protected);
  const stale = coverage.subtract(eop).subtract(protectedSet);
  if (stale.isEmpty || !options.allowRemovals) {
    return { target, missing, stale, remove: [], held: [], add: missing.toCidrs() };
  }
  const remove: string[] = [];
  const held: string[] = [];
  const kept: string[] = [];
  const seen = new Set<string>();
  const range = parsedRange();
  // An entry has nothing stale exactly when it lies inside EOP plus the protected entries,
  // a set of a few intervals, so this is cheaper than asking the (possibly huge) stale set.
  const allowed = eop.union(protectedSet);
  for (const text of target.entries) {
    parseRangeInto(text, range);
    if (allowed.relation(range) === "inside") {
      kept.push(text);
    } else if (protectedSet.relation(range) !== "outside") {
      held.push(text);
      kept.push(text);
    } else if (!seen.has(text)) {
      remove.push(text);
      seen.add(text);
    }
  }
  return { target, missing, stale, remove, held, add: eop.subtract(RangeSet.parse(kept)).toCidrs() };
}

const WHO = { "receive-connector": "Receive connector", allowlist: "Allowlist" } as const;

const MISSING_IMPACT = {
  "receive-connector":
    "Mail that Exchange Online Protection sends from these addresses does not match this connector: Exchange takes it on another connector, where it is anonymous (internal mail shows as external, lands in junk, breaks room bookings and out-of-office) or refuses it.",
  allowlist:
    "The firewall drops SMTP connections from these Exchange Online Protection addresses: mail from Exchange Online queues at Microsoft and bounces if it cannot be delivered in time.",
} as const;

const STALE_IMPACT = {
  "receive-connector":
    "The connector accepts mail from addresses that Exchange Online Protection no longer sends from; whoever uses them now reaches a connector that is trusted for EOP mail.",
  allowlist: "The firewall lets SMTP in from addresses that Exchange Online Protection no longer sends from.",
} as const;

/** The drift rules for one target: `missing-eop-range` and, for exact targets, `stale-eop-range`. */
export function driftFindings(analysis: TargetAnalysis, feed: { version: string | null; setIds: number[] }): Finding[] {
  const { target, missing, stale } = analysis;
  const findings: Finding[] = [];
  const evidence = { mode: target.mode, entries: target.entries.length, feedVersion: feed.version, eopSetIds: feed.setIds };
  if (!missing.isEmpty) {
    const ranges = missing.toCidrs();
    findings.push({
      id: findingId("missing-eop-range", target.kind, target.name),
      rule: "missing-eop-range",
      severity: "error",
      target: target.name,
      targetKind: target.kind,
      ranges,
      summary: `${WHO[target.kind]} ${target.name} lacks ${count(ranges, "EOP range")}: ${preview(ranges)}.`,
      impact: MISSING_IMPACT[target.kind],
      evidence: { ...evidence, add: analysis.add },
    });
  }
  if (!stale.isEmpty) {
    const ranges = stale.toCidrs();
    findings.push({
      id: findingId("stale-eop-range", target.kind, target.name),
      rule: "stale-eop-range",
      severity: "warning",
      target: target.name,
      targetKind: target.kind,
      ranges,
      summary: `${WHO[target.kind]} ${target.name} allows ${count(ranges, "range")} that ${ranges.length === 1 ? "is" : "are"} no longer EOP: ${preview(ranges)}.`,
      impact: STALE_IMPACT[target.kind],
      evidence: { ...evidence, remove: analysis.remove, heldByProtected: analysis.held },
    });
  }
  return findings;
}

function count(items: readonly unknown[], noun: string): string {
  return `${items.length} ${noun}${items.length === 1 ? "" : "s"}`;
}

function preview(ranges: readonly string[]): string {
  return ranges.length <= 4 ? ranges.join(", ") : `${ranges.slice(0, 4).join(", ")} and ${ranges.length - 4} more`;
}
