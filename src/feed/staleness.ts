import type { FeedStaleness } from "../core/observations.js";
import type { FeedState } from "./feed-state.js";
import { describeVersion, type FeedSnapshot } from "./snapshot.js";

const MINUTE_MS = 60 * 1000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/**
 * Microsoft publishes additions to the feed about 30 days before they take
 * effect, so a week-old feed still leaves three weeks to apply them; a week
 * also rides out an outage over a long weekend without failing every check.
 */
export const DEFAULT_MAX_FEED_AGE_MS = 7 * DAY_MS;

/** What a check knows of the sync before it: its outcome, why when it did not succeed, and when it ran. */
export interface FeedSyncReport {
  outcome: string;
  error: string;
  at: Date;
}

/**
 * How stale the feed in force is for a check at `at`, when the sync before
 * it failed or was throttled; undefined when the feed is as current as the
 * service made it. Pure: every time comes from the state, the sync and `at`.
 */
export function feedStaleness(feed: FeedState, sync: FeedSyncReport | undefined, at: Date): FeedStaleness | undefined {
  const inForce = feed.lastGood;
  if (!inForce || !sync || (sync.outcome !== "failed" && sync.outcome !== "throttled")) return undefined;
  const asked = feed.lastVersionCheck?.at;
  // A /version answer after the fetch that neither replaced nor refused the snapshot named its version: it was current then.
  const confirmedAt = !feed.refused && asked !== undefined && Date.parse(asked) > Date.parse(inForce.fetchedAt) ? asked : inForce.fetchedAt;
  // Brought up to date since that sync (the hourly check, after a run's failed start): nothing to say.
  if (Date.parse(confirmedAt) > sync.at.getTime()) return undefined;
  return { outcome: sync.outcome, error: sync.error, confirmedAt, ageMs: Math.max(0, at.getTime() - Date.parse(confirmedAt)) };
}

/** The one line a check under a stale feed carries: stderr, the report, the run record. */
export function staleFeedLine(instance: string, inForce: FeedSnapshot, staleness: FeedStaleness, at: Date): string {
  return (
    `the ${instance} feed could not be brought up to date (${staleness.error}); ` +
    `checking against ${describeVersion(inForce.version)}, ${freshness(inForce, staleness, at)}`
  );
}

/** The one line of a check refused because the feed in force is older than the maximum age. */
export function tooOldFeedLine(instance: string, inForce: FeedSnapshot, staleness: FeedStaleness, at: Date, maxAgeMs: number): string {
  return (
    `the ${instance} feed could not be brought up to date (${staleness.error}); ${describeVersion(inForce.version)} in force was ` +
    `${freshness(inForce, staleness, at)}, longer ago than the ${describeLimit(maxAgeMs)} MAILFLOW_GUARD_MAX_FEED_AGE allows, ` +
    "so nothing was checked against it"
  );
}

function freshness(inForce: FeedSnapshot, staleness: FeedStaleness, at: Date): string {
  const fetched = `fetched ${describeAge(at.getTime() - Date.parse(inForce.fetchedAt))} ago`;
  return staleness.confirmedAt === inForce.fetchedAt ? fetched : `${fetched} and last confirmed current ${describeAge(staleness.ageMs)} ago`;
}

/** A rough age: minutes under an hour, hours under two days, days after. */
function describeAge(ms: number): string {
  if (ms < MINUTE_MS) return "less than a minute";
  if (ms < HOUR_MS) return plural(Math.floor(ms / MINUTE_MS), "minute");
  if (ms < 2 * DAY_MS) return plural(Math.floor(ms / HOUR_MS), "hour");
  return plural(Math.floor(ms / DAY_MS), "day");
}

/** A limit exactly as it was set: whole days, else hours. */
function describeLimit(ms: number): string {
  return ms % DAY_MS === 0 ? plural(ms / DAY_MS, "day") : plural(ms / HOUR_MS, "hour");
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}
