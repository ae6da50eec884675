import { InputError } from "../errors.js";
import { type IpFamily, RangeSet } from "../ip/index.js";
import { cloudOfFeed, cloudOfInstance, selectEopSmtp } from "./eop.js";
import type { Instance } from "./instances.js";
import type { EndpointSet } from "./schema.js";

/** The share of last good EOP addresses a new feed may drop before it is refused. */
export const DEFAULT_MAX_REMOVAL_SHARE = 0.25;

export type FeedVerdict = { accepted: true; eop: RangeSet; setIds: number[] } | { accepted: false; reason: string };

export interface GuardOptions {
  /** Last good EOP set to compare with; none on the first fetch. */
  lastGood?: RangeSet | undefined;
  /** 0..1, default 25 %. */
  maxRemovalShare?: number | undefined;
  /** Skip the removal check for this candidate (an admin accepted a large, real change). */
  acceptLargeRemoval?: boolean | undefined;
  /** The instance the feed is for: a feed whose URLs belong to another cloud is refused. */
  instance?: Instance | undefined;
}

/**
 * Decides whether a fetched feed may replace the last good one. Refuses a feed
 * with no EOP SMTP set, with entries that are not IP ranges, or that would
 * drop more than the allowed share of either address family: a truncated or
 * wrong download must never lead to removing EOP from a production connector.
 */
export function judgeFeed(endpointSets: readonly EndpointSet[], options: GuardOptions = {}): FeedVerdict {
  if (options.instance) {
    const expected = cloudOfInstance(options.instance);
    const found = cloudOfFeed(endpointSets);
    if (found && found.cloud !== expected) {
      return { accepted: false, reason: `its endpoint sets belong to the ${found.cloud} cloud (${found.example}), not to ${options.instance}` };
    }
  }
  const { ips, setIds } = selectEopSmtp(endpointSets);
  if (setIds.length === 0) return { accepted: false, reason: "it has no Exchange endpoint set with TCP port 25 (the EOP SMTP set)" };
  if (ips.length === 0) return { accepted: false, reason: `its EOP SMTP endpoint sets (${setIds.join(", ")}) list no IP ranges` };
  let eop: RangeSet;
  try {
    eop = RangeSet.parse(ips);
  } catch (error) {
    if (error instanceof InputError) return { accepted: false, reason: `its EOP SMTP set has an entry that is not an IP range: ${error.detail}` };
    throw error;
  }
  if (options.lastGood && !options.acceptLargeRemoval) {
    const reason = removalTooLarge(eop, options.lastGood, options.maxRemovalShare ?? DEFAULT_MAX_REMOVAL_SHARE);
    if (reason) return { accepted: false, reason };
  }
  return { accepted: true, eop, setIds };
}

function removalTooLarge(candidate: RangeSet, lastGood: RangeSet, maxShare: number): string | undefined {
  const removed = lastGood.subtract(candidate);
  for (const family of [4, 6] as const satisfies readonly IpFamily[]) {
    const before = lastGood.addressCount(family);
    if (before === 0n) continue;
    const share = ratio(removed.addressCount(family), before);
    if (share > maxShare) {
      const dropped = RangeSet.of(removed.ranges().filter((r) => r.family === family)).toCidrs();
      return (
        `it would remove ${percent(share)} of the IPv${family} EOP addresses of the last good feed ` +
        `(${dropped.slice(0, 3).join(", ")}${dropped.length > 3 ? ` and ${dropped.length - 3} more` : ""}); ` +
        `at most ${percent(maxShare)} may go in one step`
      );
    }
  }
  return undefined;
}

function ratio(part: bigint, whole: bigint): number {
  return Number((part * 1_000_000n) / whole) / 1_000_000;
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10} %`;
}
