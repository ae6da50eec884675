import type { InvocationContext, Timer } from "@azure/functions";
import { sendAllScheduledAlerts } from "../alerts/scheduled.js";
import { listTenants } from "../inventory/inventory-store.js";
import { finishedScheduledRun } from "../run/lease.js";
import { eventLine, runFinished } from "../run/telemetry.js";
import type { HandlerDeps } from "./deps.js";

/**
 * Hourly, apart from the checks: the figures of the scheduled run once it has
 * finished (the `run-finished` event), the stale-run alert of every tenant whose
 * checks stopped completing (so it fires when the daily timer or the queue
 * does not), and the digests and heartbeats that are due. A tenant that fails
 * does not stop the others; the invocation still fails so it shows in monitoring.
 */
export function alertSchedule(deps: () => Promise<HandlerDeps>) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const d = { ...(await deps()), log: (line: string) => context.log(line) };
    const finished = await finishedScheduledRun(d.store, d.now());
    if (finished) context.log(eventLine(runFinished(finished)));
    const tenants = await listTenants(d.store);
    const { sent, failed } = await sendAllScheduledAlerts(d, tenants);
    if (sent > 0) context.log(`sent ${sent} scheduled alert${sent === 1 ? "" : "s"} for ${tenants.length} tenants`);
    if (failed.length > 0)
      throw new Error(`the scheduled alerts of ${failed.length} tenant${failed.length === 1 ? "" : "s"} failed: ${failed.join(", ")}`);
  };
}
