import type { CheckDeps } from "../check/tenant-check.js";
import type { Settings } from "../config.js";
import type { FeedDeps } from "../run/feeds.js";

/** What every handler gets: the check's and the feed sync's dependencies, the product settings and an id source. */
export interface HandlerDeps extends CheckDeps, FeedDeps {
  settings: Settings;
  newRunId: () => string;
}

/** A queue message: one tenant of one run. */
export interface DriftCheckMessage {
  runId: string;
  tenant: string;
}
