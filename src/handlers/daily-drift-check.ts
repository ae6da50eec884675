import type { InvocationContext, StorageQueueOutput, Timer } from "@azure/functions";
import { oneLine } from "../errors.js";
import { listTenants } from "../inventory/inventory-store.js";
import { pruneRuns } from "../run/retention.js";
import { startScheduledRun } from "../run/start.js";
import type { DriftCheckMessage, HandlerDeps } from "./deps.js";

/**
 * Daily: brings the feeds up to date once, opens a run for every registered
 * tenant and fans it out, one queue message per tenant, so one slow or
 * failing tenant never holds up the rest. A firing while the last scheduled
 * run is still under way, or a second one the same day, opens nothing and
 * says so in one line (the run lease, src/run/lease.ts). Then it deletes
 * what is beyond the last MAILFLOW_GUARD_KEEP_RUNS runs of each tenant: once
 * a day, in the one place that sees every run, including those of tenants no
 * longer registered.
 */
export function dailyDriftCheck(deps: () => Promise<HandlerDeps>, queue: StorageQueueOutput) {
  return async (timer: Timer, context: InvocationContext): Promise<void> => {
    const d = { ...(await deps()), log: (line: string) => context.log(line) };
    if (timer.isPastDue) context.warn("the daily drift check is running late");
    const tenants = await listTenants(d.store);
    if (tenants.length === 0) {
      context.log("no tenants are registered; post an inventory to /api/inventory first");
      return;
    }
    const started = await startScheduledRun(d, tenants);
    if ("skipped" in started) return context.warn(started.skipped);
    const { run } = started;
    const messages: DriftCheckMessage[] = tenants.map((tenant) => ({ runId: run.id, tenant }));
    context.extraOutputs.set(queue, messages);
    context.log(`run ${run.id}: queued the drift check of ${tenants.length} tenant${tenants.length === 1 ? "" : "s"}`);
    // The messages go out when this returns; a pruning that fails must not take today's checks with it.
    try {
      const pruned = await pruneRuns(d.store, { keep: d.settings.keepRuns, now: d.now(), log: (line) => context.warn(line) });
      if (pruned.runs + pruned.tenantRecords + pruned.reports + pruned.alerts > 0) {
        context.log(
          `kept the last ${d.settings.keepRuns} runs of each tenant: deleted ${pruned.runs} runs, ${pruned.tenantRecords} tenant records, ` +
            `${pruned.reports} reports and ${pruned.alerts} scheduled alerts`,
        );
      }
    } catch (error) {
      context.warn(`could not delete old runs: ${oneLine(error)}`);
    }
  };
}
