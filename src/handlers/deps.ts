import type { CheckDeps } from "../check/pipeline.js";
import type { Settings } from "../config.js";
import type { FeedSource } from "../feed/sync.js";

/** What every handler gets: the check's dependencies plus the product settings and an id source. */
export interface HandlerDeps extends CheckDeps {
  feed: FeedSource;
  settings: Settings;
  newRunId: () => string;
}

/** A queue message: one tenant of one run. */
export interface DriftCheckMessage {
  runId: string;
  tenant: string;
  /** Ask /version now rather than within the hourly interval (manual re-sync). */
  forceFeed?: boolean;
}
