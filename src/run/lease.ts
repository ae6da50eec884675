import { z } from "zod";
import { ConcurrencyError, DamagedDocumentError } from "../errors.js";
import { retryOnConflict, type StateStore } from "../state/store.js";
import { FUNCTION_TIMEOUT_MS, loadRun, RUN_ID, type RunRecord } from "./run.js";

/** The one lease document: scheduled runs are one at a time for the whole installation. */
const LEASE_KEY = "scheduled";

const leaseSchema = z.object({
  runId: z.string().regex(RUN_ID),
  /** The UTC day of the firing that took it, `2026-11-22`: the schedule is daily. */
  slot: z.iso.date(),
  takenAt: z.iso.datetime(),
  /** Set once the run's end was told in the `run-finished` event, so it is told once. */
  finishReported: z.boolean().optional(),
});

type Lease = z.infer<typeof leaseSchema>;

/**
 * Takes the lease of scheduled runs for the run `runId` is about to open, or
 * says in one line why this firing opens none. It is held while its run is
 * queued or running, which a run stops being when every tenant finishes or
 * one makes no progress for ABANDONED_AFTER_MS; before the run exists, for
 * one function timeout (after that the firing that took it died before
 * opening it); and for the rest of its UTC day, so a firing repeated that day
 * (two instances, a host restarted past due) opens nothing. So it needs no
 * release, and a crashed holder blocks no later day. Taking it is a
 * conditional write: of two firings at once, one wins and the other reads
 * its lease.
 */
export function takeRunLease(store: StateStore, runId: string, now: Date, log: (line: string) => void): Promise<string | undefined> {
  return retryOnConflict(async () => {
    const doc = await store.get("run-lease", LEASE_KEY);
    const slot = now.toISOString().slice(0, 10);
    const parsed = doc && leaseSchema.safeParse(doc.value);
    if (parsed?.success) {
      const refusal = await heldBecause(store, parsed.data, slot, now);
      if (refusal) return refusal;
    } else if (parsed) {
      // Only this module writes it: a damaged lease must not stop every later run.
      log(`replaced the run lease, which is not valid: ${parsed.error.issues[0]?.message ?? "unknown"}`);
    }
    const lease: Lease = { runId, slot, takenAt: now.toISOString() };
    await store.put("run-lease", LEASE_KEY, lease, doc ? { ifMatch: doc.etag } : { ifNoneMatch: "*" });
    return undefined;
  });
}

async function heldBecause(store: StateStore, lease: Lease, slot: string, now: Date): Promise<string | undefined> {
  const run = await readableRun(store, lease.runId, now);
  if (run === "damaged") {
    // A record of the last run no longer reads: it must not stop every later run, only a second one the same day.
    return lease.slot === slot ? `today's scheduled run ${lease.runId} was opened already; this firing opens none` : undefined;
  }
  if (!run) {
    return now.getTime() - Date.parse(lease.takenAt) < FUNCTION_TIMEOUT_MS
      ? `the scheduled run ${lease.runId} is being opened (since ${lease.takenAt}); this firing opens none`
      : undefined;
  }
  if (run.status === "queued" || run.status === "running") {
    return `the scheduled run ${run.id} (opened ${run.createdAt}) is still ${run.status}; this firing opens none`;
  }
  return lease.slot === slot ? `today's scheduled run ${run.id} was opened at ${run.createdAt} (${run.status}); this firing opens none` : undefined;
}

/**
 * The scheduled run in force, once it has finished and its end was not told
 * yet; marks it told (a conditional write: of two timers at once, one tells).
 * For the hourly timer, so a run's figures reach the log within the hour.
 */
export async function finishedScheduledRun(store: StateStore, now: Date): Promise<RunRecord | undefined> {
  const doc = await store.get("run-lease", LEASE_KEY);
  const parsed = doc && leaseSchema.safeParse(doc.value);
  if (!doc || !parsed?.success || parsed.data.finishReported) return undefined;
  const run = await readableRun(store, parsed.data.runId, now);
  if (!run || run === "damaged" || run.status === "queued" || run.status === "running") return undefined;
  try {
    await store.put("run-lease", LEASE_KEY, { ...parsed.data, finishReported: true } satisfies Lease, { ifMatch: doc.etag });
  } catch (error) {
    if (error instanceof ConcurrencyError) return undefined;
    throw error;
  }
  return run;
}

/** The run, or "damaged" when one of its records no longer reads (which no retry repairs). */
async function readableRun(store: StateStore, runId: string, now: Date): Promise<RunRecord | "damaged" | undefined> {
  try {
    return await loadRun(store, runId, now);
  } catch (error) {
    if (error instanceof DamagedDocumentError) return "damaged";
    throw error;
  }
}
