import type { Instance } from "../feed/instances.js";
import { type FeedDeps, instancesInUse, syncFeeds } from "./feeds.js";
import { createRun, type RunRecord, type RunTrigger } from "./run.js";

export interface RunDeps extends FeedDeps {
  settings: FeedDeps["settings"] & { instances: readonly Instance[] };
  newRunId: () => string;
}

/**
 * Starts a run of many tenants: brings every instance's feed up to date once,
 * then opens the run with a queued record per tenant. The caller fans the
 * tenants out; each check only reads the feed in force.
 */
export async function startRun(deps: RunDeps, init: { trigger: RunTrigger; tenants: readonly string[]; forceFeed: boolean }): Promise<RunRecord> {
  const instances = await instancesInUse(deps.store, deps.settings.instances, deps.log);
  const feeds = (await syncFeeds(deps, instances, { force: init.forceFeed })).map(({ state: _, ...feed }) => feed);
  return createRun(deps.store, { id: deps.newRunId(), trigger: init.trigger, tenants: init.tenants, now: deps.now(), feeds });
}
