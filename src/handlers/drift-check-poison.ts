import type { InvocationContext } from "@azure/functions";
import { loadAlertConfig, thresholdsOf } from "../alerts/config.js";
import { sendAlert } from "../alerts/deliver.js";
import { runLinks } from "../alerts/notify.js";
import { staleRunAlert, staleRunFinding } from "../alerts/schedule.js";
import { runAlertKeys } from "../check/report-store.js";
import type { RunHeader } from "../run/run.js";
import { giveUpTenantRun } from "../run/tries.js";
import type { HandlerDeps } from "./deps.js";
import { readMessage } from "./drift-check-worker.js";

/**
 * A tenant's message on which the queue gave up (every try failed, timed out
 * or lost its host): marks the tenant failed on its run, so the run ends
 * failed instead of running until it reads abandoned, unless a try finished
 * it after all, and alerts the tenant's channels.
 */
export function driftCheckPoison(deps: () => Promise<HandlerDeps>) {
  return async (queueItem: unknown, context: InvocationContext): Promise<void> => {
    const item = readMessage(queueItem, "poison queue message", context);
    if (!item) return;
    const d = { ...(await deps()), log: (line: string) => context.log(line) };
    const outcome = await giveUpTenantRun(d.store, item.runId, item.tenant, d.now);
    if ("dropped" in outcome) return context.warn(outcome.dropped);
    context.error(`run ${item.runId}: ${item.tenant} failed: ${outcome.error}`);
    await alertGaveUp(d, outcome.header, item.tenant, outcome.error);
  };
}

/**
 * The stale-run alert ("checks not completing") for this run's check, under
 * an id of its own beside the check's alert (a try may have sent that before
 * it failed): it goes with the run when runs are pruned, and a poison message
 * delivered again finds it and sends nothing twice.
 */
async function alertGaveUp(d: HandlerDeps, header: RunHeader, tenant: string, error: string): Promise<void> {
  const config = await loadAlertConfig(d.store, tenant);
  const sinks = config && d.sinks ? await d.sinks(config) : [];
  const id = runAlertKeys(tenant, header.id).gaveUp;
  if (sinks.length === 0) return d.log(`run ${header.id}: ${tenant} has no alert channel; no alert was sent`);
  if (await d.store.get("alert", id)) return d.log(`run ${header.id}: the alert ${id} was sent already`);
  const since = new Date(header.createdAt);
  const finding = {
    ...staleRunFinding(tenant, since, thresholdsOf(config).staleRunAfterHours, false),
    summary: `The check of ${tenant} in run ${header.id} failed on every try: ${error}`,
  };
  const base = { tenant, runId: header.id, instance: "", at: d.now().toISOString(), links: runLinks(d.publicBaseUrl, tenant, header.id) };
  const alert = { ...staleRunAlert(base, finding, since, undefined), id };
  const record = await sendAlert(d.store, alert, sinks, d.now);
  for (const x of record.deliveries) d.log(`alert ${id} on ${x.channel}: ${x.status}${x.error ? ` (${x.error})` : ""}`);
}
