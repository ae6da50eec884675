import type { Finding, Severity } from "../core/finding.js";
import { briefOf, type Snooze, type Transition } from "./alert.js";
import type { FindingState } from "./finding-state.js";

/**
 * Compares one successful check's findings with the tenant's finding state,
 * pure. A finding is new (no open entry), changed (same id, another digest),
 * unchanged or resolved (open before, gone now). It alerts when new, changed
 * or resolved, and once more when a snooze that held it back has ended; an
 * unchanged open finding never alerts again. A snooze holds a finding only
 * while it lasts and only for the digest it was given for. Without any
 * channel (`canAlert` false) nothing is marked as alerted, so the first check
 * with a channel tells what is open. Only a check that succeeded may be
 * classified: a failed one never reads as "resolved", nor does a finding of
 * a rule that could not judge this check. A finding below the
 * tenant's `minSeverity` is kept but never alerts, and counts as not told, so
 * lowering the threshold later tells what is open.
 */
export function classify(
  previous: FindingState | undefined,
  findings: readonly Finding[],
  run: {
    tenant: string;
    runId: string;
    at: Date;
    canAlert: boolean;
    minSeverity?: Severity | undefined;
    /** Rules that could not judge this check (what they read was not collected): their open findings stay open as they were. */
    unjudged?: ReadonlySet<string> | undefined;
  },
): { transitions: Transition[]; next: FindingState } {
  const now = run.at.toISOString();
  const floor = SEVERITY_RANK[run.minSeverity ?? "info"];
  const canAlert = (f: Pick<Finding, "severity">) => run.canAlert && SEVERITY_RANK[f.severity] >= floor;
  const open = previous?.open ?? {};
  const snoozes = Object.fromEntries(Object.entries(previous?.snoozes ?? {}).filter(([, s]) => Date.parse(s.until) > run.at.getTime()));
  const holds = (id: string, digest: string): Snooze | undefined => {
    const snooze = snoozes[id];
    return snooze && snooze.digest === digest ? snooze : undefined;
  };
  const transitions: Transition[] = [];
  const next: FindingState = {
    tenant: run.tenant,
    runId: run.runId,
    updatedAt: now,
    open: {},
    snoozes: {},
    checks: recentChecks(previous, run.at),
    certificates: previous?.certificates ?? {},
  };
  const seen = new Set<string>();
  for (const f of findings) {
    seen.add(f.id);
    const before = open[f.id];
    const kind = !before ? "new" : before.finding.digest !== f.digest ? "changed" : "unchanged";
    const snooze = holds(f.id, f.digest);
    const untold = before?.alertedDigest !== f.digest;
    const alert = canAlert(f) && !snooze && (kind !== "unchanged" || untold);
    const finding = briefOf(f);
    const since = before?.since ?? now;
    transitions.push({ kind, finding, since, snooze, alert });
    next.open[f.id] = { finding, since, alertedDigest: alert ? f.digest : before?.alertedDigest };
    if (snoozes[f.id]) next.snoozes[f.id] = snoozes[f.id]!;
  }
  for (const [id, before] of Object.entries(open)) {
    if (seen.has(id)) continue;
    if (run.unjudged?.has(before.finding.rule)) {
      // Not looked at is not resolved: the finding stays open with what was last seen of it, and tells nothing.
      next.open[id] = before;
      if (snoozes[id]) next.snoozes[id] = snoozes[id]!;
      transitions.push({ kind: "unchanged", finding: before.finding, since: before.since, snooze: snoozes[id], alert: false });
      continue;
    }
    // Told about it, or silenced on purpose: either way the admins know it, so its end is news.
    const told = before.alertedDigest !== undefined || snoozes[id] !== undefined;
    transitions.push({ kind: "resolved", finding: before.finding, since: before.since, alert: canAlert(before.finding) && told });
  }
  return { transitions, next };
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/** A little over a week of completion times: the heartbeat looks back seven days. */
const CHECKS_KEPT_MS = 8 * 24 * 3600_000;
/** However often re-syncs run, the list stays small. */
const CHECKS_KEPT = 200;

/** The completion times kept, with this check's added. */
function recentChecks(previous: FindingState | undefined, at: Date): string[] {
  const kept = (previous?.checks ?? []).filter((t) => at.getTime() - Date.parse(t) <= CHECKS_KEPT_MS && Date.parse(t) <= at.getTime());
  return [...kept, at.toISOString()].slice(-CHECKS_KEPT);
}
