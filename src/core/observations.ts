import type { Instance } from "../feed/instances.js";
import type { FeedRefusal, FeedSnapshot } from "../feed/snapshot.js";
import type { Inventory } from "../inventory/inventory.js";
import type { RangeSet } from "../ip/index.js";

/** The EOP SMTP set a check runs against: the last good feed, and the refusal of a newer one if there is one. */
export interface EopObservation {
  inForce: FeedSnapshot;
  /** `inForce.eopRanges`, parsed once. */
  set: RangeSet;
  /** Set while the newest feed is refused: the last good one is in force and nothing is proposed for removal. */
  refused?: FeedRefusal | undefined;
  /** When /version was last asked, if the feed came from the service. */
  checkedAt?: string | undefined;
}

/**
 * What one check of one tenant saw, gathered by the sources before any rule
 * runs. Later capabilities add parts (Exchange Online state, probes, DNS);
 * a rule says which parts it needs.
 */
export interface Observations {
  tenant: string;
  instance: Instance;
  /** When the check ran; rules may compare dates with it, never with the clock. */
  at: Date;
  runId: string;
  inventory: Inventory;
  eop: EopObservation;
}

export type ObservationPart = Exclude<keyof Observations, "tenant" | "instance" | "at" | "runId">;
