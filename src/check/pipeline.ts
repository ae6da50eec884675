import { HttpError, InputError, MailflowGuardError, oneLine, StateStoreError, TransportError } from "../errors.js";
import { loadFeedState } from "../feed/feed-state.js";
import type { Instance } from "../feed/instances.js";
import { syncFeed, type FeedSource, type FeedSyncOptions, type FeedSyncResult } from "../feed/sync.js";
import { loadInventory } from "../inventory/inventory-store.js";
import type { StateStore } from "../state/store.js";
import { createRun, loadRun, RUN_RANGES_LIMIT, updateTenantRun, type RunRecord, type RunTrigger } from "../run/run.js";
import { evaluateTenant, type TenantCheck } from "./evaluate.js";
import { saveArtifacts } from "./report-store.js";

/** Everything a check needs from outside; the functions, the CLI and the tests each build one. */
export interface CheckDeps {
  store: StateStore;
  /** The live feed; without it checks use the stored feed state as it is (a saved feed file was recorded first). */
  feed?: FeedSource | undefined;
  now: () => Date;
  settings: { maxRemovalShare: number; acceptVersion?: string | undefined };
  log: (line: string) => void;
}

/** /version is asked at most hourly, as Microsoft asks (a little less, so an hourly timer is never skipped by jitter). */
export const FEED_CHECK_INTERVAL_MS = 55 * 60 * 1000;

export function feedSyncOptions(deps: CheckDeps, force = false): FeedSyncOptions {
  return {
    store: deps.store,
    now: deps.now,
    maxRemovalShare: deps.settings.maxRemovalShare,
    acceptVersion: deps.settings.acceptVersion,
    minIntervalMs: force ? 0 : FEED_CHECK_INTERVAL_MS,
  };
}

export type TenantOutcome = { tenant: string; check: TenantCheck; feed: FeedSyncResult | undefined } | { tenant: string; error: unknown };

/**
 * One tenant's check within a run: bring its instance's feed up to date, run
 * the rules, keep the outputs, and record the result or the failure on the
 * run. A feed service that cannot be reached does not stop the check while a
 * good snapshot exists; the run says which version it used.
 */
export async function checkTenant(deps: CheckDeps, runId: string, tenant: string, options: { forceFeed?: boolean } = {}): Promise<TenantOutcome> {
  try {
    await updateTenantRun(deps.store, runId, tenant, { status: "running" }, deps.now());
    const inventory = await loadInventory(deps.store, tenant);
    if (!inventory) throw new InputError(`no inventory is registered for tenant ${tenant}`);
    const feed = await syncOrKeep(deps, inventory.instance, options.forceFeed ?? false);
    const { state } = await loadFeedState(deps.store, inventory.instance);
    const check = evaluateTenant(inventory, state, { runId, now: deps.now() });
    await saveArtifacts(deps.store, tenant, runId, check.artifacts);
    const { report } = check;
    await updateTenantRun(
      deps.store,
      runId,
      tenant,
      { status: report.status, feedVersion: report.feed.version, findings: report.findings.map((f) => ({ rule: f.rule, target: f.target, rangeCount: f.ranges.length, ranges: f.ranges.slice(0, RUN_RANGES_LIMIT) })) },
      deps.now(),
    );
    return { tenant, check, feed };
  } catch (error) {
    deps.log(`check of ${tenant} failed: ${oneLine(error)}`);
    await updateTenantRun(deps.store, runId, tenant, { status: "failed", error: oneLine(error) }, deps.now()).catch((e: unknown) =>
      deps.log(`could not record the failure of ${tenant} on run ${runId}: ${oneLine(e)}`),
    );
    return { tenant, error };
  }
}

async function syncOrKeep(deps: CheckDeps, instance: Instance, force: boolean): Promise<FeedSyncResult | undefined> {
  if (!deps.feed) return undefined;
  try {
    const result = await syncFeed(deps.feed, instance, feedSyncOptions(deps, force));
    deps.log(result.message);
    return result;
  } catch (error) {
    if (!(error instanceof TransportError || error instanceof HttpError)) throw error;
    const { state } = await loadFeedState(deps.store, instance);
    if (!state.lastGood) throw error;
    deps.log(`the ${instance} feed could not be fetched (${oneLine(error)}); checking against version ${state.lastGood.version}`);
    return undefined;
  }
}

/** Whether a failed tenant check is worth another try (a queue retries it), rather than a fact about the input. */
export function isTransient(error: unknown): boolean {
  if (error instanceof StateStoreError || error instanceof TransportError) return true;
  if (error instanceof HttpError) return error.status >= 500;
  return !(error instanceof MailflowGuardError);
}

/** A whole run inline, tenant after tenant: the CLI's way; the functions fan out through a queue instead. */
export async function runChecks(deps: CheckDeps, init: { runId: string; trigger: RunTrigger; tenants: string[]; forceFeed?: boolean }): Promise<{ run: RunRecord; outcomes: TenantOutcome[] }> {
  await createRun(deps.store, { id: init.runId, trigger: init.trigger, tenants: init.tenants, now: deps.now() });
  const outcomes: TenantOutcome[] = [];
  for (const tenant of init.tenants) outcomes.push(await checkTenant(deps, init.runId, tenant, { forceFeed: init.forceFeed ?? false }));
  return { run: (await loadRun(deps.store, init.runId))!, outcomes };
}
