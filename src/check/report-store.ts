import { z } from "zod";
import { ConcurrencyError, DamagedDocumentError } from "../errors.js";
import type { StateStore } from "../state/store.js";

const stored = z.object({ artifacts: z.record(z.string(), z.string()) });

/** Keeps a run's outputs for one tenant, so the re-sync endpoint can hand them out. */
export async function saveArtifacts(store: StateStore, tenant: string, runId: string, artifacts: Record<string, string>): Promise<void> {
  const key = reportKey(tenant, runId);
  try {
    // Nearly always the first outputs of this run: a create reads nothing first.
    await store.put("report", key, { artifacts }, { ifNoneMatch: "*" });
  } catch (error) {
    // A later try of the same run replaces what an earlier one left.
    if (!(error instanceof ConcurrencyError)) throw error;
    await store.put("report", key, { artifacts });
  }
}

export async function loadArtifacts(store: StateStore, tenant: string, runId: string): Promise<Record<string, string> | undefined> {
  const doc = await store.get("report", reportKey(tenant, runId));
  if (!doc) return undefined;
  const parsed = stored.safeParse(doc.value);
  if (!parsed.success) throw new DamagedDocumentError(`the stored outputs of run ${runId} for ${tenant} are not valid`, { cause: parsed.error });
  return parsed.data.artifacts;
}

/** `${tenant}/${runId}`: a tenant's outputs list together. */
export function reportKey(tenant: string, runId: string): string {
  return `${tenant}/${runId}`;
}

/** The tenant and run of a report key; the run id is a GUID, so it is what follows the last slash. */
export function parseReportKey(key: string): { tenant: string; runId: string } {
  const slash = key.lastIndexOf("/");
  return { tenant: key.slice(0, slash), runId: key.slice(slash + 1) };
}

/**
 * The alert records of one tenant's run: the check's own (its report's key)
 * and the one the poison handler raises when every try failed, which must
 * not be taken for the other.
 */
export function runAlertKeys(tenant: string, runId: string): { check: string; gaveUp: string } {
  const key = reportKey(tenant, runId);
  return { check: key, gaveUp: `${key}/gave-up` };
}
