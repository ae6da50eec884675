import type { Finding } from "../core/finding.js";
import type { Alert, FindingBrief, HeartbeatSummary, Transition } from "./alert.js";
import { type Slot, WEEKDAYS } from "./config.js";
import type { FindingState } from "./finding-state.js";

/**
 * What the hourly schedule decides for a tenant, pure: whether its digest or
 * heartbeat is due, whether its checks have stopped completing, and what each
 * message says. The I/O around it is in scheduled.ts.
 */

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;

/** The rule name of the alert raised when no check completes; a pseudo-finding of the tenant, never in a report. */
export const STALE_RUN = "stale-run";

/**
 * The latest time at or before `now` a slot falls on: today's hour (UTC), or
 * for a weekly slot that hour on its weekday. A message is due when the last
 * one went out before this.
 *
 * @example latestSlot(new Date("2026-12-02T06:59Z"), { hour: 7, weekday: "monday" }, "day") // 2026-12-01T07:00Z
 */
export function latestSlot(now: Date, slot: Slot, every: "day" | "week"): Date {
  const at = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), slot.hour));
  if (every === "week") at.setUTCDate(at.getUTCDate() - ((at.getUTCDay() - WEEKDAYS.indexOf(slot.weekday) + 7) % 7));
  if (at.getTime() > now.getTime()) at.setUTCDate(at.getUTCDate() - (every === "week" ? 7 : 1));
  return at;
}

/** Whether the tenant's checks have stopped: none completed since `reference` for longer than the limit. */
export function isStale(reference: Date, now: Date, limitHours: number): boolean {
  return now.getTime() - reference.getTime() > limitHours * HOUR_MS;
}

/** The `stale-run` pseudo-finding: the same id for one stretch without checks, so it opens and resolves once. */
export function staleRunFinding(tenant: string, since: Date, limitHours: number, never: boolean): FindingBrief {
  const summary = never
    ? `No check of ${tenant} has completed since it was first scheduled at ${since.toISOString()} (the limit is ${limitHours} h).`
    : `No check of ${tenant} has completed since ${since.toISOString()} (the limit is ${limitHours} h).`;
  return {
    id: `${STALE_RUN}:tenant:${tenant}`,
    digest: since.toISOString(),
    rule: STALE_RUN,
    severity: "warning",
    subject: { kind: "tenant", name: tenant },
    summary,
    impact:
      "Range, certificate and connector drift goes unnoticed until checks complete again; see the runs' status and the function " + "app's logs.",
    ranges: [],
    rangeCount: 0,
  };
}

/** The stale-run alert when checks stop (`new`) or resume (`resolved`). */
export function staleRunAlert(
  base: Pick<Alert, "tenant" | "runId" | "instance" | "at" | "links">,
  finding: FindingBrief,
  since: Date,
  resumedAt: string | undefined,
): Alert {
  const kind: Transition["kind"] = resumedAt === undefined ? "new" : "resolved";
  return {
    ...base,
    id: `${base.tenant}/${STALE_RUN}/${since.toISOString()}${resumedAt === undefined ? "" : "/resolved"}`,
    kind: STALE_RUN,
    headline: resumedAt === undefined ? finding.summary : `Checks complete again: the last at ${resumedAt}.`,
    transitions: [{ kind, finding, since: since.toISOString(), alert: true }],
  };
}

/**
 * The digest of what is still open and not snoozed, or undefined when that is
 * nothing: a digest only repeats what needs doing, the heartbeat says all is well.
 */
export function digestAlert(base: Pick<Alert, "tenant" | "runId" | "instance" | "at" | "links">, state: FindingState, slot: Date): Alert | undefined {
  const now = Date.parse(base.at);
  const snoozed = (id: string) => {
    const s = state.snoozes[id];
    return s !== undefined && Date.parse(s.until) > now && s.digest === state.open[id]?.finding.digest;
  };
  const open = Object.entries(state.open)
    .filter(([id]) => !snoozed(id))
    .sort(([, a], [, b]) => SEVERITY_ORDER[a.finding.severity] - SEVERITY_ORDER[b.finding.severity] || a.since.localeCompare(b.since));
  if (open.length === 0) return undefined;
  const quiet = Object.keys(state.open).length - open.length;
  const n = open.length;
  return {
    ...base,
    id: `${base.tenant}/digest/${slot.toISOString()}`,
    kind: "digest",
    headline: `${n} ${n === 1 ? "finding is" : "findings are"} still open${quiet > 0 ? ` (and ${quiet} snoozed, not listed)` : ""}.`,
    transitions: open.map(([, entry]) => ({ kind: "unchanged", finding: entry.finding, since: entry.since, alert: true })),
  };
}

const SEVERITY_ORDER: Record<Finding["severity"], number> = { error: 0, warning: 1, info: 2 };

/**
 * The week before `slot` judged by its completed checks: every check ran when
 * no stretch of it (from its start to the first check, between two, from the
 * last to its end) was longer than the stale-run limit.
 */
export function heartbeatSummary(state: FindingState | undefined, slot: Date, limitHours: number): HeartbeatSummary {
  const from = slot.getTime() - WEEK_MS;
  const to = slot.getTime();
  const times = (state?.checks ?? [])
    .map((t) => Date.parse(t))
    .filter((t) => t > from && t <= to)
    .sort((a, b) => a - b);
  const points = [from, ...times, to];
  let gap = { from, to: from };
  for (let i = 1; i < points.length; i++) if (points[i]! - points[i - 1]! > gap.to - gap.from) gap = { from: points[i - 1]!, to: points[i]! };
  const snoozed = Object.keys(state?.open ?? {}).filter((id) => {
    const s = state?.snoozes[id];
    return s !== undefined && Date.parse(s.until) > to;
  }).length;
  const hours = Math.round(((gap.to - gap.from) / HOUR_MS) * 10) / 10;
  return {
    allRan: hours <= limitHours,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    completed: times.length,
    lastCompleted: times.length > 0 ? new Date(times.at(-1)!).toISOString() : undefined,
    longestGap: { from: new Date(gap.from).toISOString(), to: new Date(gap.to).toISOString(), hours },
    limitHours,
    open: Object.keys(state?.open ?? {}).length,
    snoozed,
  };
}

export function heartbeatAlert(base: Pick<Alert, "tenant" | "runId" | "instance" | "at" | "links">, summary: HeartbeatSummary): Alert {
  const checks = `${summary.completed} ${summary.completed === 1 ? "check" : "checks"} completed this week`;
  const headline = summary.allRan
    ? `All checks ran: ${checks}; ${summary.open} ${summary.open === 1 ? "finding" : "findings"} open.`
    : `Not all checks ran: ${checks}, none from ${summary.longestGap.from} to ${summary.longestGap.to} ` +
      `(${summary.longestGap.hours} h; the limit is ${summary.limitHours} h).`;
  return { ...base, id: `${base.tenant}/heartbeat/${summary.to}`, kind: "heartbeat", headline, transitions: [], heartbeat: summary };
}

/** The key parts of a scheduled alert (`${tenant}/${kind}/${time}…`), or undefined for a check's (`${tenant}/${runId}`). */
export function scheduledAlertTime(key: string): number | undefined {
  const [, kind, time] = key.split("/");
  if (kind !== "digest" && kind !== "heartbeat" && kind !== STALE_RUN) return undefined;
  const at = Date.parse(time ?? "");
  return Number.isNaN(at) ? undefined : at;
}
