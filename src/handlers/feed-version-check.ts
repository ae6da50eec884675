import type { InvocationContext, Timer } from "@azure/functions";
import { instancesInUse, syncFeeds } from "../run/feeds.js";
import type { HandlerDeps } from "./deps.js";

/**
 * Hourly: asks /version for every instance in use (the configured ones and
 * any with a feed document) and fetches /endpoints only when it moved. One
 * instance failing does not stop the others; the invocation still fails so
 * the failure shows in monitoring.
 */
export function feedVersionCheck(deps: () => Promise<HandlerDeps>) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const d = await deps();
    const instances = await instancesInUse(d.store, d.settings.instances, (line) => context.warn(line));
    const results = await syncFeeds({ ...d, log: () => {} }, instances);
    for (const r of results) (r.outcome === "refused" || r.outcome === "failed" ? context.warn : context.log).call(context, r.message);
    const failures = results.filter((r) => r.outcome === "failed");
    if (failures.length > 0) throw new Error(`feed check failed for ${failures.map((f) => f.message).join("; ")}`);
  };
}
