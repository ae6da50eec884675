import { randomUUID } from "node:crypto";
import { ConcurrencyError } from "../errors.js";
import { retryOnConflict, type StateStore } from "../state/store.js";
import { isFinal, loadRunHeader, QUEUE_MAX_DEQUEUE_COUNT, type RunHeader, readTenantRun, recordTenantRun, type TenantRun } from "./run.js";

/**
 * The tries of one tenant's check in a run, each one delivery of its queue
 * message. A try owns the tenant's record from the "running" it writes until
 * it records its result, which it writes only over its own "running"
 * (`ifMatch`): a duplicate message, or a try that carries on after a later
 * delivery took over (the host lost it for dead), never overwrites another's.
 */
export interface TenantTry {
  runId: string;
  tenant: string;
  /** The queue's dequeue count; undefined when the host did not say (tests, the demo), so the try takes over any unfinished one. */
  attempt: number | undefined;
  header: RunHeader;
  /** Of the "running" this try wrote. */
  etag: string;
  /** Written with each of this try's records, so that it knows them after a write whose answer was lost. */
  tryId: string;
}

/** A try to make, or one line on why this delivery has nothing to do. */
export type TenantClaim = { owned: TenantTry } | { dropped: string };

/**
 * Starts a try: reads the tenant's record and writes "running" over it,
 * unless the run does not exist (pruned, or never opened), the tenant is not
 * in it, its record is final (a duplicate message), or a try of the same or
 * a later delivery holds it: a second message for the tenant while the first
 * is under way, or failed and is retried. A try that was killed leaves its
 * "running" behind; its own message comes back with a higher dequeue count
 * and takes over, and so does one whose host does not say.
 */
export function claimTenantRun(store: StateStore, runId: string, tenant: string, attempt: number | undefined, now: () => Date): Promise<TenantClaim> {
  const tryId = randomUUID();
  return retryOnConflict(async () => {
    const header = await loadRunHeader(store, runId);
    if (!header) return { dropped: `run ${runId} does not exist (pruned, or never opened); dropped the message for ${tenant}` };
    const current = await readTenantRun(store, runId, tenant);
    if (!current) return { dropped: `run ${runId} has no tenant ${tenant}; dropped the message` };
    const { status, attempt: held } = current.record;
    // This try's own "running": the write landed, its answer was lost, and the store's retry was refused.
    if (current.record.tryId === tryId) return { owned: { runId, tenant, attempt, header, etag: current.etag, tryId } };
    if (isFinal(status)) return { dropped: `run ${runId}: ${tenant} is already ${status}; dropped a duplicate message, the result stands` };
    if (status !== "queued" && attempt !== undefined && held !== undefined && held >= attempt) {
      return { dropped: `run ${runId}: ${tenant} is ${status} under try ${held}; dropped a duplicate message (delivery ${attempt})` };
    }
    const etag = await recordTenantRun(store, runId, tenant, { status: "running", attempt, tryId }, now(), { ifMatch: current.etag });
    return { owned: { runId, tenant, attempt, header, etag, tryId } };
  });
}

/**
 * Whether the record is still as this try wrote it, checked before the try
 * writes its outputs: one that froze while a later delivery took over (and
 * maybe finished) leaves that one's outputs alone.
 */
export async function stillOwned(store: StateStore, owned: TenantTry): Promise<boolean> {
  return (await readTenantRun(store, owned.runId, owned.tenant))?.etag === owned.etag;
}

/** Whether no delivery of the message is left after this one. */
export function isLastTry(owned: Pick<TenantTry, "attempt">): boolean {
  return owned.attempt !== undefined && owned.attempt >= QUEUE_MAX_DEQUEUE_COUNT;
}

/**
 * Records the try's result over its own "running". False when another try
 * wrote the record since: that one's result (or progress) stands, and this
 * try records nothing.
 */
export async function finishTenantRun(
  store: StateStore,
  owned: TenantTry,
  result: Omit<TenantRun, "updatedAt" | "attempt">,
  now: Date,
): Promise<boolean> {
  try {
    await recordTenantRun(store, owned.runId, owned.tenant, { ...result, attempt: owned.attempt, tryId: owned.tryId }, now, { ifMatch: owned.etag });
    return true;
  } catch (error) {
    if (!(error instanceof ConcurrencyError)) throw error;
    // Refused: another try wrote since, or this write landed and only its answer was lost.
    const current = await readTenantRun(store, owned.runId, owned.tenant);
    return current?.record.tryId === owned.tryId && current.record.status === result.status;
  }
}

/** The line for a try whose record another try took over. */
export function supersededLine(owned: TenantTry): string {
  return `run ${owned.runId}: ${owned.tenant} was taken over by another try; this one (delivery ${owned.attempt ?? "unknown"}) records nothing`;
}

/**
 * After the queue gave up on a tenant's message (the poison queue): marks the
 * tenant failed, unless a try finished it after all. A failed record stays as
 * the last try wrote it; any other gets the last try's error, or says that no
 * try got as far as one (each timed out, or its host stopped).
 */
export function giveUpTenantRun(
  store: StateStore,
  runId: string,
  tenant: string,
  now: () => Date,
): Promise<{ header: RunHeader; error: string } | { dropped: string }> {
  return retryOnConflict(async () => {
    const header = await loadRunHeader(store, runId);
    if (!header) return { dropped: `run ${runId} does not exist (pruned, or never opened); dropped the poison message for ${tenant}` };
    const current = await readTenantRun(store, runId, tenant);
    if (!current) return { dropped: `run ${runId} has no tenant ${tenant}; dropped the poison message` };
    const { record } = current;
    if (record.status === "failed") return { header, error: record.error ?? "failed" };
    if (isFinal(record.status))
      return { dropped: `run ${runId}: ${tenant} is ${record.status}, finished by a try after all; dropped the poison message` };
    const last = record.error ? `the last with: ${record.error}` : "none got as far as an error (each timed out, or its host stopped)";
    const error = `the check failed on every one of its ${QUEUE_MAX_DEQUEUE_COUNT} tries; ${last}`;
    await recordTenantRun(store, runId, tenant, { status: "failed", error, attempt: record.attempt }, now(), { ifMatch: current.etag });
    return { header, error };
  });
}
