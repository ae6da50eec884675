import type { InvocationContext, Timer } from "@azure/functions";
import { feedSyncOptions } from "../check/pipeline.js";
import { oneLine } from "../errors.js";
import { parseInstance, type Instance } from "../feed/instances.js";
import { syncFeed } from "../feed/sync.js";
import type { HandlerDeps } from "./deps.js";

/**
 * Hourly: asks /version for every instance in use (the configured ones and
 * any with a stored feed) and fetches /endpoints only when it moved. One
 * instance failing does not stop the others; the invocation still fails so
 * the failure shows in monitoring.
 */
export function feedVersionCheck(deps: () => Promise<HandlerDeps>) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const d = await deps();
    const stored = (await d.store.list("feed")).map((key) => parseInstance(key));
    const instances = [...new Set<Instance>([...d.settings.instances, ...stored])];
    const failures: string[] = [];
    for (const instance of instances) {
      try {
        const result = await syncFeed(d.feed, instance, feedSyncOptions(d));
        (result.outcome === "refused" ? context.warn : context.log).call(context, result.message);
      } catch (error) {
        failures.push(`${instance}: ${oneLine(error)}`);
      }
    }
    if (failures.length > 0) throw new Error(`feed check failed for ${failures.join("; ")}`);
  };
}
