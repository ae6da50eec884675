import type { InvocationContext } from "@azure/functions";
import { z } from "zod";
import { checkTenant } from "../check/tenant-check.js";
import { InputError, oneLine } from "../errors.js";
import { QUEUE_MAX_DEQUEUE_COUNT } from "../run/run.js";
import { eventLine, findingsByRule } from "../run/telemetry.js";
import { validate } from "../validation.js";
import { type DriftCheckMessage, driftCheckMessageSchema, type HandlerDeps } from "./deps.js";

/** The queue trigger's delivery count; undefined when the host gives none (a direct call), which the check allows for. */
const dequeueCount = z.number().int().positive().optional().catch(undefined);

/**
 * Checks one tenant of a run against the feed in force; each delivery of the
 * message is one try (see checkTenant). A failure is recorded on the run
 * either way; it is rethrown only when another try may help, so the queue
 * retries it and, after its last try, moves it to the poison queue, where
 * driftCheckPoison marks it failed and alerts. A duplicate, or a message for
 * a run or tenant that is not there, is dropped with one line.
 */
export function driftCheckWorker(deps: () => Promise<HandlerDeps>) {
  return async (queueItem: unknown, context: InvocationContext): Promise<void> => {
    const item = readMessage(queueItem, "queue message", context);
    if (!item) return;
    const d = await deps();
    const attempt = dequeueCount.parse(context.triggerMetadata?.dequeueCount);
    const started = Date.now();
    const outcome = await checkTenant({ ...d, log: (line) => context.log(line) }, item.runId, item.tenant, attempt);
    const where = `run ${item.runId}: ${item.tenant}`;
    const ids = { runId: item.runId, tenant: item.tenant, attempt: attempt ?? null };
    if ("error" in outcome) {
      if (outcome.dropped) return context.warn(oneLine(outcome.error));
      const failed = eventLine({ event: "tenant-failed", ...ids, error: oneLine(outcome.error), willRetry: outcome.retry });
      if (!outcome.retry) {
        context.warn(`${where} failed: ${oneLine(outcome.error)}`);
        return context.warn(failed);
      }
      context.warn(`${where} failed on try ${attempt ?? "?"} of ${QUEUE_MAX_DEQUEUE_COUNT}, for the queue to retry: ${oneLine(outcome.error)}`);
      context.warn(failed);
      throw outcome.error;
    }
    const { report } = outcome.check;
    context.log(`${where} ${report.status}, ${report.findings.length} finding${report.findings.length === 1 ? "" : "s"}`);
    const durationMs = Date.now() - started;
    const byRule = findingsByRule(report.findings);
    context.log(eventLine({ event: "tenant-checked", ...ids, status: report.status, findings: report.findings.length, byRule, durationMs }));
  };
}

/** The message, or undefined when it is malformed: another try cannot fix it, so it is said once, not five times. */
export function readMessage(queueItem: unknown, source: string, context: InvocationContext): DriftCheckMessage | undefined {
  try {
    return validate(driftCheckMessageSchema, queueItem, source);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    context.error(`ignored ${error.message}`);
    return undefined;
  }
}
