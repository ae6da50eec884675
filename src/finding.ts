import type { TargetKind } from "./inventory/inventory.js";

export type RuleId = "missing-eop-range" | "stale-eop-range" | "feed-suspicious";

export type Severity = "error" | "warning";

/** Something that drifted, with what it breaks and the evidence an admin can check. */
export interface Finding {
  /** Stable across runs for the same rule and target, so later runs can tell new from open. */
  id: string;
  rule: RuleId;
  severity: Severity;
  /** Connector identity, allowlist name, or feed instance. */
  target: string;
  targetKind: TargetKind | "feed";
  /** Minimal CIDR cover of the addresses concerned, IPv4 before IPv6, ascending. */
  ranges: string[];
  /** One sentence: what drifted. */
  summary: string;
  /** What it breaks for mail flow. */
  impact: string;
  evidence: Record<string, unknown>;
}

export function findingId(rule: RuleId, targetKind: Finding["targetKind"], target: string): string {
  return `${rule}:${targetKind}:${target}`;
}

const ORDER: Record<RuleId, number> = { "feed-suspicious": 0, "missing-eop-range": 1, "stale-eop-range": 2 };

/** Feed problems first, then what stops mail, then what lets too much in. */
export function compareFindings(a: Finding, b: Finding): number {
  return ORDER[a.rule] - ORDER[b.rule] || a.targetKind.localeCompare(b.targetKind) || a.target.localeCompare(b.target);
}
