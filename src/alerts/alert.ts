import type { Finding } from "../core/finding.js";

/** What became of a finding since the tenant's last successful check. */
export type TransitionKind = "new" | "changed" | "unchanged" | "resolved";

/** A finding as the finding state keeps it between runs: enough to say what it was when it is gone. */
export interface FindingBrief extends Pick<Finding, "id" | "digest" | "rule" | "severity" | "subject" | "summary" | "impact"> {
  /** The first ranges, and how many there are in all (report.json has every one). */
  ranges: string[];
  rangeCount: number;
}

export interface Snooze {
  reason: string;
  by: string;
  /** ISO 8601; the finding alerts again after this, or as soon as its digest changes. */
  until: string;
  /** The digest the snooze was given for. */
  digest: string;
}

/** One finding's step between two runs, and whether it is worth telling anyone. */
export interface Transition {
  kind: TransitionKind;
  /** The finding now, or as it was last seen when resolved. */
  finding: FindingBrief;
  /** When it was first seen open (ISO 8601). */
  since: string;
  /** Set while a snooze holds it back. */
  snooze?: Snooze | undefined;
  /** New, changed or resolved, and not snoozed (or its snooze ended or no longer fits its digest). */
  alert: boolean;
}

/**
 * Why an alert goes out: a check's transitions (`drift`), the digest of what
 * is still open, the weekly heartbeat, or scheduled checks that stopped
 * completing (`stale-run`, new when they stop and resolved when they resume).
 */
export type AlertKind = "drift" | "digest" | "heartbeat" | "stale-run";

/** The heartbeat's week: whether every scheduled check ran, judged by the longest stretch without a completed one. */
export interface HeartbeatSummary {
  allRan: boolean;
  /** The week, ISO 8601. */
  from: string;
  to: string;
  /** Checks that completed in it. */
  completed: number;
  lastCompleted?: string | undefined;
  /** The longest stretch without a completed check, and the limit it was held to. */
  longestGap: { from: string; to: string; hours: number };
  limitHours: number;
  /** Findings open at the end of the week, and how many of them are snoozed. */
  open: number;
  snoozed: number;
}

/** What one run, or one scheduled message, tells a tenant's admins, with enough context to act. */
export interface Alert {
  /** `${tenant}/${runId}` for a check's alert; `${tenant}/${kind}/${time}` for a scheduled one. */
  id: string;
  /** Absent on alerts stored before scheduled messages existed: those are drift alerts. */
  kind?: AlertKind | undefined;
  tenant: string;
  runId: string;
  instance: string;
  at: string;
  /** The report's headline, or the scheduled message's. */
  headline: string;
  transitions: Transition[];
  /** The heartbeat's figures. */
  heartbeat?: HeartbeatSummary | undefined;
  /** Links when a public base URL is configured; never carries a secret. */
  links?: { run?: string | undefined; script?: string | undefined; report?: string | undefined } | undefined;
  /** The remediation script, for channels that attach it (mail). */
  script?: string | undefined;
}

/** How one channel took one alert. */
export interface Delivery {
  channel: string;
  at: string;
  status: "delivered" | "failed";
  attempts: number;
  /** One line, secrets redacted. */
  error?: string | undefined;
}

/** A channel alerts go out on (a Teams Workflows webhook, Graph mail). */
export interface Sink {
  /** Names the channel in delivery records and logs, never with a secret: `teams`, `mail`. */
  readonly channel: string;
  /** Sends the alert; throws a MailflowGuardError (HttpError, TransportError…) when it could not. */
  deliver(alert: Alert): Promise<{ attempts: number }>;
}

/** What a channel calls each kind of alert, before the tenant. */
export const ALERT_TITLE: Record<AlertKind, string> = {
  drift: "Mail flow drift",
  digest: "Still open",
  heartbeat: "Weekly heartbeat",
  "stale-run": "Checks not completing",
};

export function alertKindOf(alert: Pick<Alert, "kind">): AlertKind {
  return alert.kind ?? "drift";
}

export function briefOf(finding: Finding, rangeLimit = 50): FindingBrief {
  return {
    id: finding.id,
    digest: finding.digest,
    rule: finding.rule,
    severity: finding.severity,
    subject: finding.subject,
    summary: finding.summary,
    impact: finding.impact,
    ranges: (finding.ranges ?? []).slice(0, rangeLimit),
    rangeCount: finding.ranges?.length ?? 0,
  };
}

/** The alert's links in order (run, report, script) that are https without credentials; no channel shows any other. */
export function safeLinks(alert: Pick<Alert, "links">): { key: "run" | "report" | "script"; url: string }[] {
  const out: { key: "run" | "report" | "script"; url: string }[] = [];
  for (const key of ["run", "report", "script"] as const) {
    const href = alert.links?.[key];
    if (href === undefined) continue;
    try {
      const url = new URL(href);
      if (url.protocol === "https:" && !url.username && !url.password) out.push({ key, url: url.href });
    } catch {
      // Not a URL: left out like any other unsafe link.
    }
  }
  return out;
}
