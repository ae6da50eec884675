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

/** What one run tells a tenant's admins: the transitions worth an alert, with enough context to act. */
export interface Alert {
  /** `${tenant}/${runId}`: one alert per tenant and run. */
  id: string;
  tenant: string;
  runId: string;
  instance: string;
  at: string;
  /** The report's headline. */
  headline: string;
  transitions: Transition[];
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
