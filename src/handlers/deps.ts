import { z } from "zod";
import type { CheckDeps } from "../check/tenant-check.js";
import type { Settings } from "../config.js";
import type { FeedDeps } from "../run/feeds.js";
import { RUN_ID } from "../run/run.js";

/** What every handler gets: the check's and the feed sync's dependencies, the product settings and an id source. */
export interface HandlerDeps extends CheckDeps, FeedDeps {
  settings: Settings;
  newRunId: () => string;
}

/**
 * A queue message: one tenant of one run. Messages queued before runs synced
 * the feed up front also carry `forceFeed`, which is ignored.
 */
export const driftCheckMessageSchema = z.object({ runId: z.string().regex(RUN_ID), tenant: z.string().min(1) });
export type DriftCheckMessage = z.infer<typeof driftCheckMessageSchema>;
