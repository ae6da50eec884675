import { z } from "zod";
import { DamagedDocumentError, InputError } from "../errors.js";
import { certificateMemorySchema } from "../hybrid/certificate-memory.js";
import type { StateStore } from "../state/store.js";
import { validate } from "../validation.js";

const subject = z.object({ kind: z.string(), name: z.string() });

const findingBriefSchema = z.object({
  id: z.string(),
  digest: z.string(),
  rule: z.string(),
  severity: z.enum(["error", "warning", "info"]),
  subject,
  summary: z.string(),
  impact: z.string(),
  ranges: z.array(z.string()),
  rangeCount: z.number().int().nonnegative(),
});

export const snoozeSchema = z.object({
  reason: z.string().min(1),
  by: z.string().min(1),
  until: z.iso.datetime(),
  digest: z.string(),
});

/**
 * A tenant's open findings as the last successful check left them, and the
 * snoozes admins set: what the next check compares with to tell new,
 * changed, unchanged and resolved findings apart.
 */
const findingStateSchema = z.object({
  tenant: z.string(),
  /** The run that wrote it, and when. */
  runId: z.string(),
  updatedAt: z.string(),
  open: z.record(
    z.string(),
    z.object({
      finding: findingBriefSchema,
      /** When it was first seen open. */
      since: z.string(),
      /** The digest an alert was last raised for; unset while snoozes or the lack of a channel kept it quiet. */
      alertedDigest: z.string().optional(),
    }),
  ),
  snoozes: z.record(z.string(), snoozeSchema).default({}),
  /** When the tenant's checks completed lately (ISO 8601, oldest first): what the weekly heartbeat counts. */
  checks: z.array(z.string()).default([]),
  /** Which certificate each connector meant at the last checks: what tells a renewal (certificate-renewed). */
  certificates: certificateMemorySchema.default({}),
});

export type FindingState = z.infer<typeof findingStateSchema>;

export async function loadFindingState(store: StateStore, tenant: string): Promise<{ state: FindingState | undefined; etag: string | undefined }> {
  const doc = await store.get("finding-state", tenant);
  if (!doc) return { state: undefined, etag: undefined };
  try {
    return { state: validate(findingStateSchema, doc.value, `stored finding state of ${tenant}`), etag: doc.etag };
  } catch (error) {
    if (error instanceof InputError) throw new DamagedDocumentError(error.message, { cause: error });
    throw error;
  }
}

/** Writes only if nobody else wrote since `etag` was read (ConcurrencyError otherwise). */
export async function saveFindingState(store: StateStore, state: FindingState, etag: string | undefined): Promise<void> {
  await store.put("finding-state", state.tenant, state, etag === undefined ? { ifNoneMatch: "*" } : { ifMatch: etag });
}
