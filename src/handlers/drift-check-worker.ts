import type { InvocationContext } from "@azure/functions";
import { checkTenant, isTransient } from "../check/tenant-check.js";
import { InputError, oneLine } from "../errors.js";
import { validate } from "../validation.js";
import { type DriftCheckMessage, driftCheckMessageSchema, type HandlerDeps } from "./deps.js";

/**
 * Checks one tenant of a run against the feed in force. A failure is
 * recorded on the run either way; it is rethrown only when another try may
 * help (storage or network), so the queue retries it and, after five tries,
 * parks it in the poison queue.
 */
export function driftCheckWorker(deps: () => Promise<HandlerDeps>) {
  return async (queueItem: unknown, context: InvocationContext): Promise<void> => {
    let item: DriftCheckMessage;
    try {
      item = validate(driftCheckMessageSchema, queueItem, "queue message");
    } catch (error) {
      // Another try cannot fix a malformed message: say so once, not five times.
      if (error instanceof InputError) return context.error(`ignored ${error.message}`);
      throw error;
    }
    const d = await deps();
    const outcome = await checkTenant({ ...d, log: (line) => context.log(line) }, item.runId, item.tenant);
    if ("error" in outcome) {
      if (isTransient(outcome.error)) throw outcome.error;
      context.warn(`run ${item.runId}: ${item.tenant} failed: ${oneLine(outcome.error)}`);
      return;
    }
    const { report } = outcome.check;
    context.log(`run ${item.runId}: ${item.tenant} ${report.status}, ${report.findings.length} finding${report.findings.length === 1 ? "" : "s"}`);
  };
}
