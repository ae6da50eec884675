import { scheduledAlertTime } from "../alerts/schedule.js";
import { parseReportKey, reportKey, runAlertKeys } from "../check/report-store.js";
import { oneLine } from "../errors.js";
import type { StateStore } from "../state/store.js";
import { ABANDONED_AFTER_MS, inBatches, loadRunHeader, tenantKey } from "./run.js";

/**
 * Tenants' records (each with its outputs) deleted by one pruning at most: a
 * first pruning of a long history must not run the daily timer past its
 * function timeout; the rest goes the next day, oldest first.
 */
const MAX_PRUNED_RECORDS = 5000;

/** Digests, heartbeats and stale-run alerts belong to no run: they are kept this long, well past their last retry. */
export const SCHEDULED_ALERTS_KEPT_MS = 30 * 24 * 3600_000;

/** A write takes seconds: what one left behind a day ago belongs to a write that is over, not one in progress. */
export const LEFTOVERS_KEPT_MS = 24 * 3600_000;

export interface Pruned {
  runs: number;
  tenantRecords: number;
  reports: number;
  /** Scheduled alerts past SCHEDULED_ALERTS_KEPT_MS. */
  alerts: number;
  /** What writes cut short left in the store (blobs no document uses, temporary files), past LEFTOVERS_KEPT_MS. */
  leftovers: number;
}

/**
 * Keeps each tenant's records and outputs of its `keep` latest runs, by when
 * the run was opened (run ids are random), and deletes the rest; then the
 * header of every run left without a tenant. It also removes what a crash or
 * a late try left behind: records of runs whose header is gone, and outputs
 * without a record. Scheduled alerts (digests, heartbeats, stale-run) go
 * after SCHEDULED_ALERTS_KEPT_MS. Deleting a report or an inventory through
 * the store deletes its blob too; the blobs of writes that stopped half-way
 * go with the store's leftovers, last. Both stores list keys by kind, so this
 * works on either.
 */
export async function pruneRuns(store: StateStore, options: { keep: number; now: Date; log: (line: string) => void }): Promise<Pruned> {
  // Outputs first, then records, then headers: a run's header is written before its records and a record
  // before its outputs, so an output whose record is missing from the later listing, or a record whose
  // header is, lost it for good; it is not one being written now.
  const reportKeys = await store.list("report");
  const recordKeys = await store.list("run-tenant");
  const created = new Map<string, string>();
  const unreadable = new Set<string>();
  await inBatches(await store.list("run"), async (id) => {
    try {
      const header = await loadRunHeader(store, id);
      if (header) created.set(id, header.createdAt);
    } catch (error) {
      // Without its time the run cannot be placed: keep it, and everything of it, rather than guess.
      unreadable.add(id);
      options.log(`kept run ${id}, which could not be read: ${oneLine(error)}`);
    }
  });

  const records = recordKeys.map((key) => {
    const slash = key.indexOf("/");
    return { key, runId: key.slice(0, slash), tenant: key.slice(slash + 1) };
  });
  const doomed: typeof records = [];
  const byTenant = new Map<string, typeof records>();
  for (const record of records) {
    if (unreadable.has(record.runId)) continue;
    if (!created.has(record.runId)) {
      doomed.push(record);
      continue;
    }
    const runs = byTenant.get(record.tenant) ?? [];
    runs.push(record);
    byTenant.set(record.tenant, runs);
  }
  const newestFirst = (a: (typeof records)[number], b: (typeof records)[number]) =>
    (created.get(b.runId) ?? "").localeCompare(created.get(a.runId) ?? "") || b.runId.localeCompare(a.runId);
  for (const runs of byTenant.values()) doomed.push(...runs.sort(newestFirst).slice(options.keep));
  // Orphans (no header, sorted as "") go first, then the oldest runs.
  const batch = doomed.sort((a, b) => newestFirst(b, a)).slice(0, MAX_PRUNED_RECORDS);

  const pruned: Pruned = { runs: 0, tenantRecords: 0, reports: 0, alerts: 0, leftovers: 0 };
  await inBatches(batch, async ({ key, runId, tenant }) => {
    // The outputs first: a pruning cut short leaves a record, which the next one finds, never an output without one.
    // The run's alert goes with them (same key): past this many runs it is no longer retried.
    const alerts = runAlertKeys(tenant, runId);
    await Promise.all([store.delete("alert", alerts.check), store.delete("alert", alerts.gaveUp)]);
    if (await store.delete("report", reportKey(tenant, runId))) pruned.reports++;
    if (await store.delete("run-tenant", key)) pruned.tenantRecords++;
  });
  const listed = new Set(recordKeys);
  const orphanReports = reportKeys.filter((key) => {
    const { tenant, runId } = parseReportKey(key);
    return !listed.has(tenantKey(runId, tenant));
  });
  await inBatches(orphanReports, async (key) => {
    if (await store.delete("report", key)) pruned.reports++;
  });

  const deleted = new Set(batch.map((r) => r.key));
  const left = new Set(records.filter((r) => !deleted.has(r.key)).map((r) => r.runId));
  // A run opened a moment ago may not have written its records yet: only an old one without any is done with.
  const done = [...created].filter(([id, at]) => !left.has(id) && options.now.getTime() - Date.parse(at) > ABANDONED_AFTER_MS);
  await inBatches(done, async ([id]) => {
    if (await store.delete("run", id)) pruned.runs++;
  });
  const oldAlerts = (await store.list("alert")).filter((key) => {
    const at = scheduledAlertTime(key);
    return at !== undefined && options.now.getTime() - at > SCHEDULED_ALERTS_KEPT_MS;
  });
  await inBatches(oldAlerts.slice(0, MAX_PRUNED_RECORDS), async (key) => {
    if (await store.delete("alert", key)) pruned.alerts++;
  });
  pruned.leftovers = await store.removeLeftovers(new Date(options.now.getTime() - LEFTOVERS_KEPT_MS));
  return pruned;
}
