import type { Instance } from "../feed/instances.js";
import { type FeedDeps, instancesInUse, syncFeeds } from "./feeds.js";
import { takeRunLease } from "./lease.js";
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
export async function startRun(
  deps: RunDeps,
  init: { trigger: RunTrigger; tenants: readonly string[]; forceFeed: boolean; id?: string },
): Promise<RunRecord> {
  const instances = await instancesInUse(deps.store, deps.settings.instances, deps.log);
  const feeds = (await syncFeeds(deps, instances, { force: init.forceFeed })).map(({ state: _, ...feed }) => feed);
  return createRun(deps.store, { id: init.id ?? deps.newRunId(), trigger: init.trigger, tenants: init.tenants, now: deps.now(), feeds });
}

/**
 * Starts the scheduled run of every tenant, once it holds the run lease (see
 * lease.ts), before it asks the feed service anything; or says in one line
 * why this firing starts none.
 */
export async function startScheduledRun(deps: RunDeps, tenants: readonly string[]): Promise<{ run: RunRecord } | { skipped: string }> {
  const id = deps.newRunId();
  const refusal = await takeRunLease(deps.store, id, deps.now(), deps.log);
  if (refusal) return { skipped: refusal };
  return { run: await startRun(deps, { id, trigger: "timer", tenants, forceFeed: false }) };
}
