import { z } from "zod";
import { StateStoreError } from "../errors.js";
import type { StateStore } from "../state/store.js";

const stored = z.object({ artifacts: z.record(z.string(), z.string()) });

/** Keeps a run's outputs for one tenant, so the re-sync endpoint can hand them out. */
export async function saveArtifacts(store: StateStore, tenant: string, runId: string, artifacts: Record<string, string>): Promise<void> {
  await store.put("report", `${tenant}/${runId}`, { artifacts });
}

export async function loadArtifacts(store: StateStore, tenant: string, runId: string): Promise<Record<string, string> | undefined> {
  const doc = await store.get("report", `${tenant}/${runId}`);
  if (!doc) return undefined;
  const parsed = stored.safeParse(doc.value);
  if (!parsed.success) throw new StateStoreError(`the stored outputs of run ${runId} for ${tenant} are not valid`);
  return parsed.data.artifacts;
}
