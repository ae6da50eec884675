import { z } from "zod";
import { ConcurrencyError, DamagedDocumentError, InputError, oneLine } from "../errors.js";
import { inBatches } from "../run/run.js";
import { validate } from "../validation.js";
import type { Alert } from "./alert.js";
import { loadAlertConfig, thresholdsOf } from "./config.js";
import { type AlertRecord, sendAlert } from "./deliver.js";
import { loadFindingState } from "./finding-state.js";
import { type AlertDeps, runLinks } from "./notify.js";
import { digestAlert, heartbeatAlert, heartbeatSummary, isStale, latestSlot, staleRunAlert, staleRunFinding } from "./schedule.js";

/**
 * What the schedule has done for a tenant: when it first saw it (the
 * reference for a tenant never checked), the last digest and heartbeat slots
 * sent, and the stretch without checks it has told about.
 */
const scheduleStateSchema = z.object({
  firstSeenAt: z.iso.datetime(),
  digestSlot: z.iso.datetime().optional(),
  heartbeatSlot: z.iso.datetime().optional(),
  /** Since when no check has completed; `alertedAt` once a channel took the alert (none may be configured yet). */
  staleRun: z.object({ since: z.iso.datetime(), alertedAt: z.iso.datetime().optional() }).optional(),
});

type ScheduleState = z.infer<typeof scheduleStateSchema>;

/** What the schedule sent for one tenant. */
export interface ScheduledOutcome {
  tenant: string;
  sent: AlertRecord[];
}

/**
 * The tenant's scheduled messages that are due now: the `stale-run` alert
 * when no check has completed for longer than its threshold (and the word
 * that they complete again), the daily or weekly digest of what is still
 * open, and the weekly heartbeat. Each is claimed in the tenant's schedule
 * state before it is sent, so two firings of the schedule never send one
 * twice; a stale-run alert no channel took is claimed back and tried next
 * hour, since no check is coming to retry it. Without a channel it only logs.
 */
export async function sendScheduledAlerts(deps: AlertDeps, tenant: string): Promise<ScheduledOutcome> {
  const outcome: ScheduledOutcome = { tenant, sent: [] };
  const config = await loadAlertConfig(deps.store, tenant);
  const sinks = config && deps.sinks ? await deps.sinks(config) : [];
  const now = deps.now();
  const doc = await deps.store.get("alert-schedule", tenant);
  const before: ScheduleState = doc ? parseScheduleState(doc.value, tenant) : { firstSeenAt: now.toISOString() };
  const { state } = await loadFindingState(deps.store, tenant);
  const { staleRunAfterHours } = thresholdsOf(config);
  const lastCompleted = state ? new Date(state.updatedAt) : undefined;
  const reference = lastCompleted ?? new Date(before.firstSeenAt);
  const stale = isStale(reference, now, staleRunAfterHours);

  const base = { tenant, runId: state?.runId ?? "", instance: "", at: now.toISOString(), links: runLinks(deps.publicBaseUrl, tenant, state?.runId) };
  const due: { alert: Alert; undo?: (s: ScheduleState) => ScheduleState }[] = [];
  const next: ScheduleState = { ...before };
  if (stale) {
    const since = before.staleRun ? new Date(before.staleRun.since) : reference;
    if (!before.staleRun) {
      next.staleRun = { since: since.toISOString() };
      if (sinks.length === 0) deps.log(`no check of ${tenant} has completed since ${since.toISOString()}, and it has no alert channel`);
    }
    if (sinks.length > 0 && !before.staleRun?.alertedAt) {
      next.staleRun = { since: since.toISOString(), alertedAt: now.toISOString() };
      const finding = staleRunFinding(tenant, since, staleRunAfterHours, lastCompleted === undefined);
      due.push({ alert: staleRunAlert(base, finding, since, undefined), undo: (s) => ({ ...s, staleRun: { since: since.toISOString() } }) });
    }
  } else if (before.staleRun) {
    next.staleRun = undefined;
    const since = new Date(before.staleRun.since);
    const finding = staleRunFinding(tenant, since, staleRunAfterHours, false);
    const resumed = lastCompleted?.toISOString() ?? now.toISOString();
    if (before.staleRun.alertedAt && sinks.length > 0) due.push({ alert: staleRunAlert(base, finding, since, resumed) });
  }
  if (config?.digest) {
    const slot = latestSlot(now, config.digest, config.digest.every).toISOString();
    // The first digest goes at the first slot after the schedule saw it configured, not at one already past.
    if (before.digestSlot === undefined) next.digestSlot = slot;
    else if (before.digestSlot < slot) {
      next.digestSlot = slot;
      const alert = state && sinks.length > 0 ? digestAlert(base, state, new Date(slot)) : undefined;
      if (alert) due.push({ alert });
    }
  }
  if (config?.heartbeat) {
    const slot = latestSlot(now, config.heartbeat, "week");
    if (before.heartbeatSlot === undefined) next.heartbeatSlot = slot.toISOString();
    else if (before.heartbeatSlot < slot.toISOString()) {
      next.heartbeatSlot = slot.toISOString();
      if (sinks.length > 0) due.push({ alert: heartbeatAlert(base, heartbeatSummary(state, slot, staleRunAfterHours)) });
    }
  }
  if (doc && due.length === 0 && sameState(before, next)) return outcome;

  let etag: string;
  try {
    etag = await deps.store.put("alert-schedule", tenant, next, doc ? { ifMatch: doc.etag } : { ifNoneMatch: "*" });
  } catch (error) {
    if (!(error instanceof ConcurrencyError)) throw error;
    deps.log(`the schedule of ${tenant} was handled by another firing meanwhile; this one sends nothing`);
    return outcome;
  }
  let claimed = next;
  for (const { alert, undo } of due) {
    const record = await sendAlert(deps.store, alert, sinks, deps.now);
    outcome.sent.push(record);
    for (const d of record.deliveries) deps.log(`alert ${alert.id} on ${d.channel}: ${d.status}${d.error ? ` (${d.error})` : ""}`);
    if (undo && record.deliveries.every((d) => d.status === "failed")) claimed = undo(claimed);
  }
  if (claimed !== next) {
    await deps.store
      .put("alert-schedule", tenant, claimed, { ifMatch: etag })
      .catch((error: unknown) => deps.log(`could not record that the stale-run alert of ${tenant} is still owed: ${oneLine(error)}`));
  }
  return outcome;
}

/** Every registered tenant's scheduled messages, a few tenants at a time; one tenant failing never stops the others. */
export async function sendAllScheduledAlerts(deps: AlertDeps, tenants: readonly string[]): Promise<{ sent: number; failed: string[] }> {
  const outcomes = await inBatches(tenants, async (tenant) => {
    try {
      return { tenant, sent: (await sendScheduledAlerts(deps, tenant)).sent.length };
    } catch (error) {
      deps.log(`the scheduled alerts of ${tenant} failed: ${oneLine(error)}`);
      return { tenant, sent: 0, failed: true };
    }
  });
  return { sent: outcomes.reduce((n, o) => n + o.sent, 0), failed: outcomes.filter((o) => "failed" in o).map((o) => o.tenant) };
}

function parseScheduleState(value: unknown, tenant: string): ScheduleState {
  try {
    return validate(scheduleStateSchema, value, `stored alert schedule of ${tenant}`);
  } catch (error) {
    if (error instanceof InputError) throw new DamagedDocumentError(error.message, { cause: error });
    throw error;
  }
}

function sameState(a: ScheduleState, b: ScheduleState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
