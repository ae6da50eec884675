import type { Finding } from "../core/finding.js";
import type { RunRecord } from "./run.js";

/**
 * Events for monitoring, one log line each: a fixed prefix, then JSON, so
 * Application Insights' traces answer as metrics (findings by rule, run
 * duration, tenants failed) with `parse_json`. The Node.js worker's
 * context.log cannot attach custom dimensions, and this needs no SDK.
 */
export const EVENT_PREFIX = "mailflow-guard.event ";

export type CheckEvent =
  | {
      event: "tenant-checked";
      runId: string;
      tenant: string;
      status: string;
      findings: number;
      byRule: Record<string, number>;
      durationMs: number;
      attempt: number | null;
    }
  | { event: "tenant-failed"; runId: string; tenant: string; error: string; attempt: number | null; willRetry: boolean }
  | {
      event: "run-finished";
      runId: string;
      trigger: string;
      status: string;
      tenants: number;
      byStatus: Record<string, number>;
      durationMs: number;
    };

export function eventLine(event: CheckEvent): string {
  return `${EVENT_PREFIX}${JSON.stringify(event)}`;
}

export function findingsByRule(findings: readonly Pick<Finding, "rule">[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of findings) counts[f.rule] = (counts[f.rule] ?? 0) + 1;
  return counts;
}

/** A finished run in figures: from its opening to its last tenant's record, and how many tenants ended how. */
export function runFinished(run: RunRecord): CheckEvent {
  const records = Object.values(run.tenants);
  const byStatus: Record<string, number> = {};
  for (const t of records) byStatus[t.status] = (byStatus[t.status] ?? 0) + 1;
  return {
    event: "run-finished",
    runId: run.id,
    trigger: run.trigger,
    status: run.status,
    tenants: records.length,
    byStatus,
    durationMs: Date.parse(run.updatedAt) - Date.parse(run.createdAt),
  };
}
