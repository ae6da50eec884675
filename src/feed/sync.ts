import { InputError, ThrottledError } from "../errors.js";
import { RangeSet } from "../ip/index.js";
import { retryOnConflict, type StateStore } from "../state/store.js";
import { type FeedState, loadFeedState, saveFeedState } from "./feed-state.js";
import { judgeFeed } from "./guard.js";
import type { Instance } from "./instances.js";
import type { EndpointSet } from "./schema.js";
import { describeVersion } from "./snapshot.js";

/** The part of the feed client a sync needs. */
export interface FeedSource {
  readonly baseUrl: string;
  getVersion(instance: Instance): Promise<{ latest: string }>;
  getEndpoints(instance: Instance, options?: { serviceAreas?: "Exchange" }): Promise<EndpointSet[]>;
}

export interface FeedSyncOptions {
  store: StateStore;
  now: () => Date;
  /** 0..1: the share of last good EOP addresses a new feed may drop. */
  maxRemovalShare: number;
  /** A version an admin accepted although it drops more than the share allows. */
  acceptVersion?: string | undefined;
  /** Skip the network when a good snapshot exists and /version was asked less than this long ago. */
  minIntervalMs?: number | undefined;
}

export type FeedSyncOutcome = "unchanged" | "updated" | "refused" | "throttled";

export interface FeedSyncResult {
  instance: Instance;
  outcome: FeedSyncOutcome;
  state: FeedState;
  /** One line for logs and the CLI. */
  message: string;
}

/** After a 429 without Retry-After, wait an hour, as Microsoft asks. */
const THROTTLE_PAUSE_MS = 60 * 60 * 1000;

/**
 * Brings one instance's feed up to date: asks /version first and fetches
 * /endpoints only when the version moved. The new version is recorded only
 * together with its validated, accepted snapshot, in one write; a refused feed
 * is recorded as refused and the last good snapshot stays in force. Transport
 * and server errors propagate and leave the stored state as it was.
 */
export async function syncFeed(source: FeedSource, instance: Instance, options: FeedSyncOptions): Promise<FeedSyncResult> {
  return retryOnConflict(async () => {
    const { state, etag } = await loadFeedState(options.store, instance);
    const now = options.now();
    if (state.throttledUntil !== undefined && Date.parse(state.throttledUntil) > now.getTime()) {
      return {
        instance,
        outcome: "throttled",
        state,
        message: `the ${instance} feed service asked to wait until ${state.throttledUntil}; not asking before then`,
      };
    }
    const lastAsked = state.lastVersionCheck && Date.parse(state.lastVersionCheck.at);
    if (state.lastGood && lastAsked && now.getTime() - lastAsked < (options.minIntervalMs ?? 0)) {
      return {
        instance,
        outcome: "unchanged",
        state,
        message: `${instance} feed version ${state.lastGood.version} was checked at ${state.lastVersionCheck!.at}`,
      };
    }
    try {
      const { latest } = await source.getVersion(instance);
      const checked: FeedState = { ...state, throttledUntil: undefined, lastVersionCheck: { at: now.toISOString() } };
      const inForce = state.lastGood?.version ?? null;
      if (inForce === latest) {
        await saveFeedState(options.store, checked, etag);
        return { instance, outcome: "unchanged", state: checked, message: `${instance} feed unchanged at version ${latest}` };
      }
      if (inForce !== null && latest < inForce) {
        return record(
          options,
          checked,
          etag,
          { invalid: `the service reports version ${latest}, older than version ${inForce} in force` },
          latest,
          source.baseUrl,
        );
      }
      let endpoints: EndpointSet[];
      try {
        endpoints = await source.getEndpoints(instance, { serviceAreas: "Exchange" });
      } catch (error) {
        if (error instanceof InputError)
          return record(options, checked, etag, { invalid: `it failed validation: ${error.message}` }, latest, source.baseUrl);
        throw error;
      }
      return record(options, checked, etag, { endpoints }, latest, source.baseUrl);
    } catch (error) {
      if (!(error instanceof ThrottledError)) throw error;
      const until = new Date(
        now.getTime() + (error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : THROTTLE_PAUSE_MS),
      ).toISOString();
      const throttled: FeedState = { ...state, throttledUntil: until };
      await saveFeedState(options.store, throttled, etag);
      return {
        instance,
        outcome: "throttled",
        state: throttled,
        message: `the ${instance} feed service answered 429; not asking again before ${until}`,
      };
    }
  });
}

/**
 * Takes a saved /endpoints response (the CLI's --feed-file) through the same
 * guard and records it like a fetched feed, so the next check is judged
 * against it. The caller checks against the returned state; nothing needs to
 * be read back.
 */
export async function syncFeedFromFile(
  data: unknown,
  file: string,
  instance: Instance,
  version: string | null,
  options: FeedSyncOptions,
  parseEndpoints: (data: unknown, source: string) => EndpointSet[],
): Promise<FeedSyncResult> {
  return retryOnConflict(async () => {
    const { state, etag } = await loadFeedState(options.store, instance);
    let endpoints: EndpointSet[];
    try {
      endpoints = parseEndpoints(data, file);
    } catch (error) {
      if (error instanceof InputError) return record(options, state, etag, { invalid: `it failed validation: ${error.message}` }, version, file);
      throw error;
    }
    if (version !== null && state.lastGood?.version === version && state.lastGood.source === file) {
      return { instance, outcome: "unchanged", state, message: `${instance} feed unchanged at version ${version}` };
    }
    return record(options, state, etag, { endpoints }, version, file);
  });
}

type Candidate = { endpoints: EndpointSet[] } | { invalid: string };

async function record(
  options: FeedSyncOptions,
  state: FeedState,
  etag: string | undefined,
  candidate: Candidate,
  version: string | null,
  source: string,
): Promise<FeedSyncResult> {
  const result = judge(options, state, candidate, version, source);
  await saveFeedState(options.store, result.state, etag);
  return result;
}

/** The guard's verdict on a candidate feed, as the next feed state; pure. */
function judge(
  options: Pick<FeedSyncOptions, "now" | "maxRemovalShare" | "acceptVersion">,
  state: FeedState,
  candidate: Candidate,
  version: string | null,
  source: string,
): FeedSyncResult {
  const at = options.now().toISOString();
  const verdict =
    "invalid" in candidate
      ? ({ accepted: false, reason: candidate.invalid } as const)
      : judgeFeed(candidate.endpoints, {
          lastGood: state.lastGood && RangeSet.parse(state.lastGood.eopRanges),
          maxRemovalShare: options.maxRemovalShare,
          acceptLargeRemoval: version !== null && version === options.acceptVersion,
          instance: state.instance,
        });
  const instance = state.instance;
  if (!verdict.accepted) {
    const refused: FeedState = { ...state, refused: { version, at, source, reason: verdict.reason } };
    return {
      instance,
      outcome: "refused",
      state: refused,
      message: `the ${instance} feed (${describeVersion(version)}) was refused: ${verdict.reason}`,
    };
  }
  const lastGood = { instance, version, fetchedAt: at, source, setIds: verdict.setIds, eopRanges: verdict.eop.toCidrs() };
  const updated: FeedState = { ...state, refused: undefined, lastGood };
  return {
    instance,
    outcome: "updated",
    state: updated,
    message: `${instance} feed ${describeVersion(version)} accepted: ${lastGood.eopRanges.length} EOP SMTP ranges`,
  };
}
