import { oneLine } from "../errors.js";
import { type FeedState, loadFeedState } from "../feed/feed-state.js";
import { type Instance, parseInstance } from "../feed/instances.js";
import type { FeedSyncReport } from "../feed/staleness.js";
import { type FeedSource, type FeedSyncOptions, type FeedSyncResult, syncFeed } from "../feed/sync.js";
import type { StateStore } from "../state/store.js";
import type { FeedAtRunStart } from "./run.js";

/** What bringing the feeds up to date needs. */
export interface FeedDeps {
  store: StateStore;
  feed: FeedSource;
  now: () => Date;
  settings: { maxRemovalShare: number; acceptVersion?: string | undefined };
  log: (line: string) => void;
}

/** /version is asked at most hourly, as Microsoft asks (a little less, so an hourly timer is never skipped by jitter). */
export const FEED_CHECK_INTERVAL_MS = 55 * 60 * 1000;

export function feedSyncOptions(deps: Omit<FeedDeps, "feed" | "log">, force = false): FeedSyncOptions {
  return {
    store: deps.store,
    now: deps.now,
    maxRemovalShare: deps.settings.maxRemovalShare,
    acceptVersion: deps.settings.acceptVersion,
    minIntervalMs: force ? 0 : FEED_CHECK_INTERVAL_MS,
  };
}

/**
 * The instances whose feed the product keeps: the configured ones and every
 * one with a feed document (registering an inventory creates its instance's).
 */
export async function instancesInUse(store: StateStore, configured: readonly Instance[], log: (line: string) => void): Promise<Instance[]> {
  const instances = new Set<Instance>(configured);
  for (const key of await store.list("feed")) {
    // One stray document must not stop the other instances' checks.
    try {
      instances.add(parseInstance(key));
    } catch (error) {
      log(`ignored the feed document ${JSON.stringify(key)}: ${oneLine(error)}`);
    }
  }
  return [...instances];
}

/** One instance's feed after bringing it up to date: what the run records, and the state a check reads. */
export interface FeedSynced extends FeedAtRunStart {
  /** Undefined when even the stored state could not be read. */
  state: FeedState | undefined;
}

export function feedSynced(result: FeedSyncResult): FeedSynced {
  return {
    instance: result.instance,
    outcome: result.outcome,
    version: result.state.lastGood?.version,
    message: result.message,
    ...(result.outcome === "throttled" ? { error: `the service asked to wait until ${result.state.throttledUntil}` } : {}),
    state: result.state,
  };
}

/** What a check needs to know of the sync recorded for its instance (a run header's entry, or the CLI's own sync). */
export function syncReport(feed: FeedAtRunStart, at: Date): FeedSyncReport {
  // Runs opened before errors were recorded on their own have only the message.
  return { outcome: feed.outcome, error: feed.error ?? feed.message, at };
}

/**
 * Brings each instance's feed up to date, once per run and before any tenant
 * is checked. One instance failing does not stop the others, nor the run:
 * its tenants are checked against the last good feed, and the result says so.
 */
export async function syncFeeds(deps: FeedDeps, instances: readonly Instance[], options: { force?: boolean } = {}): Promise<FeedSynced[]> {
  const results: FeedSynced[] = [];
  for (const instance of instances) {
    try {
      const result = await syncFeed(deps.feed, instance, feedSyncOptions(deps, options.force ?? false));
      deps.log(result.message);
      results.push(feedSynced(result));
    } catch (error) {
      const { state } = await loadFeedState(deps.store, instance).catch(() => ({ state: undefined }));
      const inForce = state?.lastGood;
      const message =
        `the ${instance} feed could not be brought up to date ` +
        `(${oneLine(error)})${inForce ? `; checking against version ${inForce.version}` : ""}`;
      deps.log(message);
      results.push({ instance, outcome: "failed", version: inForce?.version, message, error: oneLine(error), state });
    }
  }
  return results;
}
