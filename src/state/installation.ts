import { randomUUID } from "node:crypto";
import { z } from "zod";
import { ConcurrencyError, DamagedDocumentError } from "../errors.js";
import type { StateStore } from "./store.js";

const installation = z.object({ clientRequestId: z.uuid(), createdAt: z.string() });

/**
 * The GUID this installation sends as `clientrequestid` to the endpoints
 * service: generated once and kept, as Microsoft asks (never one of the GUIDs
 * from its examples).
 */
export async function clientRequestId(store: StateStore, now: () => Date = () => new Date()): Promise<string> {
  const existing = await store.get("installation", "installation");
  if (existing) return parse(existing.value);
  try {
    const created = { clientRequestId: randomUUID(), createdAt: now().toISOString() };
    await store.put("installation", "installation", created, { ifNoneMatch: "*" });
    return created.clientRequestId;
  } catch (error) {
    if (!(error instanceof ConcurrencyError)) throw error;
    const winner = await store.get("installation", "installation");
    if (!winner) throw error;
    return parse(winner.value);
  }
}

function parse(value: unknown): string {
  const parsed = installation.safeParse(value);
  if (!parsed.success) throw new DamagedDocumentError("the stored installation record is not valid");
  return parsed.data.clientRequestId;
}
