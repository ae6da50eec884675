import type { Observations } from "../core/observations.js";
import type { InventoryTarget } from "../inventory/inventory.js";
import { ParsedEntries, RangeSet } from "../ip/index.js";
import { eopTargets, LOCAL_RANGES } from "./eop-targets.js";

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
  /** Minimal CIDRs to add once the removals are done: the missing ones and `addBack`. */
  add: string[];
  /** The EOP parts of removed entries, added back so that a removal never drops EOP. */
  addBack: string[];
}

export interface AnalyseOptions {
  /** False while the feed is refused: then nothing is proposed for removal. */
  allowRemovals: boolean;
}

/**
 * Compares a target with the EOP set. In superset mode only what is missing
 * counts, but on a receive connector trusted for Exchange Online's mail the
 * public ranges that are not EOP's are stale too (reported, never removed).
 * Removals name whole entries as the
 * target lists them (Exchange and firewalls remove entries, not addresses); an
 * entry that is only partly stale is removed and its EOP part added back, so
 * the result allows exactly EOP plus the protected entries. Additions are
 * computed against what remains, so none duplicates a kept entry.
 */
export function analyseTarget(target: InventoryTarget, eop: RangeSet, options: AnalyseOptions): TargetAnalysis {
  const unchanged = (missing: RangeSet, stale: RangeSet): TargetAnalysis => ({
    target,
    missing,
    stale,
    remove: [],
    held: [],
    add: missing.toCidrs(),
    addBack: [],
  });
  const entries = ParsedEntries.parse(target.entries);
  // Loopback and private addresses stay unless listed as removable, as if protected; so does a whole address family
  // the feed has nothing of (a saved /endpoints answer asked with NoIPv6=true), which says nothing of what EOP uses there.
  const protectedSet = RangeSet.parse(target.protected)
    .union(LOCAL_RANGES.subtract(RangeSet.parse(target.removable)))
    .union(unjudgedFamilies(eop));
  if (target.mode === "superset") {
    const coverage = RangeSet.fromParsed(entries);
    // On a connector trusted for Exchange Online's mail, any public range that is not EOP's is trusted as EOP: said, never removed.
    return unchanged(eop.subtract(coverage), target.trustedForCloudMail ? coverage.subtract(eop).subtract(protectedSet) : RangeSet.empty);
  }
  if (!options.allowRemovals) {
    const coverage = RangeSet.fromParsed(entries);
    return unchanged(eop.subtract(coverage), coverage.subtract(eop).subtract(protectedSet));
  }
  // One pass over the entries, parsed once (by the inventory's validation when it ran here):
  // the set is built and each entry classified in the same pass. An entry
  // has nothing stale exactly when it lies inside EOP plus the protected entries, a set of a few
  // intervals, so the classification never asks the (possibly huge) stale set.
  const allowed = eop.union(protectedSet);
  const kept = RangeSet.builder();
  const remove: string[] = [];
  const held: string[] = [];
  const seen = new Set<string>();
  const coverage = RangeSet.fromParsed(entries, (range, i) => {
    if (allowed.relation(range) === "inside") {
      kept.add(range);
    } else if (protectedSet.relation(range) !== "outside") {
      held.push(target.entries[i]!);
      kept.add(range);
    } else if (!seen.has(target.entries[i]!)) {
      remove.push(target.entries[i]!);
      seen.add(target.entries[i]!);
    }
  });
  const missing = eop.subtract(coverage);
  const stale = coverage.subtract(eop).subtract(protectedSet);
  if (stale.isEmpty) return unchanged(missing, stale);
  const toAdd = eop.subtract(kept.build());
  return { target, missing, stale, remove, held, add: toAdd.toCidrs(), addBack: toAdd.subtract(missing).toCidrs() };
}

const FAMILIES = [RangeSet.parse(["0.0.0.0/0"]), RangeSet.parse(["::/0"])];

/** Every address of each family the EOP set has no range of. */
function unjudgedFamilies(eop: RangeSet): RangeSet {
  return FAMILIES.filter((family) => !family.overlaps(eop)).reduce((all, family) => all.union(family), RangeSet.empty);
}

const analyses = new WeakMap<Observations, TargetAnalysis[]>();

/**
 * Every target the EOP rules may change (see eop-targets.ts) against the EOP
 * set in force, computed once per check and shared by the EOP rules (a target
 * can hold 200,000 entries).
 */
export function eopAnalyses(observations: Observations): TargetAnalysis[] {
  let result = analyses.get(observations);
  if (!result) {
    const allowRemovals = observations.eop.refused === undefined;
    const checked = eopTargets(observations).filter((s) => s.checked);
    result = checked.map((s) => analyseTarget(s.target, observations.eop.set, { allowRemovals }));
    analyses.set(observations, result);
  }
  return result;
}

/** The evidence every EOP finding carries. */
export function eopEvidence(analysis: TargetAnalysis, observations: Observations): Record<string, unknown> {
  const { inForce } = observations.eop;
  return { mode: analysis.target.mode, entries: analysis.target.entries.length, feedVersion: inForce.version, eopSetIds: inForce.setIds };
}

export function count(items: readonly unknown[], noun: string): string {
  return `${items.length} ${noun}${items.length === 1 ? "" : "s"}`;
}

export function preview(ranges: readonly string[]): string {
  return ranges.length <= 4 ? ranges.join(", ") : `${ranges.slice(0, 4).join(", ")} and ${ranges.length - 4} more`;
}
