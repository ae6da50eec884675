import type { Finding } from "../core/finding.js";
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
 * classified: a failed one never reads as "resolved".
 */
export function classify(
  previous: FindingState | undefined,
  findings: readonly Finding[],
  run: { tenant: string; runId: string; at: Date; canAlert: boolean },
): { transitions: Transition[]; next: FindingState } {
  const now = run.at.toISOString();
  const open = previous?.open ?? {};
  const snoozes = Object.fromEntries(Object.entries(previous?.snoozes ?? {}).filter(([, s]) => Date.parse(s.until) > run.at.getTime()));
  const holds = (id: string, digest: string): Snooze | undefined => {
    const snooze = snoozes[id];
    return snooze && snooze.digest === digest ? snooze : undefined;
  };
  const transitions: Transition[] = [];
  const next: FindingState = { tenant: run.tenant, runId: run.runId, updatedAt: now, open: {}, snoozes: {} };
  const seen = new Set<string>();
  for (const f of findings) {
    seen.add(f.id);
    const before = open[f.id];
    const kind = !before ? "new" : before.finding.digest !== f.digest ? "changed" : "unchanged";
    const snooze = holds(f.id, f.digest);
    const untold = before?.alertedDigest !== f.digest;
    const alert = run.canAlert && !snooze && (kind !== "unchanged" || untold);
    const finding = briefOf(f);
    const since = before?.since ?? now;
    transitions.push({ kind, finding, since, snooze, alert });
    next.open[f.id] = { finding, since, alertedDigest: alert ? f.digest : before?.alertedDigest };
    if (snoozes[f.id]) next.snoozes[f.id] = snoozes[f.id]!;
  }
  for (const [id, before] of Object.entries(open)) {
    if (seen.has(id)) continue;
    // Told about it, or silenced on purpose: either way the admins know it, so its end is news.
    const told = before.alertedDigest !== undefined || snoozes[id] !== undefined;
    transitions.push({ kind: "resolved", finding: before.finding, since: before.since, alert: run.canAlert && told });
  }
  return { transitions, next };
}
