import { finding } from "../core/finding.js";
import type { Rule } from "../core/rule.js";
import { staleFeedLine } from "../feed/staleness.js";

export const FEED_STALE = "feed-stale";

/**
 * The feed could not be brought up to date for this check (the service
 * failed or asked to wait), so the last good one was used as it is. Past the
 * maximum age the check does not run at all (see observeEop).
 */
export const feedStale: Rule = {
  id: FEED_STALE,
  needs: ["eop"],
  evaluate({ instance, at, eop }) {
    const { staleness, inForce } = eop;
    if (!staleness) return [];
    const line = staleFeedLine(instance, inForce, staleness, at);
    return [
      finding({
        rule: FEED_STALE,
        severity: "warning",
        subject: { kind: "feed", name: instance },
        summary: `${line.charAt(0).toUpperCase()}${line.slice(1)}.`,
        impact:
          "Ranges Microsoft published since are not seen. Additions are published about 30 days before they take effect, so a feed a few " +
          "days old still covers them; past MAILFLOW_GUARD_MAX_FEED_AGE the check fails instead of checking against it.",
        evidence: { ...staleness, versionInForce: inForce.version, fetchedAt: inForce.fetchedAt },
        // The error text and the age change from run to run; the problem is the same while the same version stays in force.
        substance: { outcome: staleness.outcome, versionInForce: inForce.version },
      }),
    ];
  },
};
