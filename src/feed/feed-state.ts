import { z } from "zod";
import { ConcurrencyError, DamagedDocumentError } from "../errors.js";
import type { StateStore } from "../state/store.js";
import { INSTANCES, type Instance } from "./instances.js";
import { feedRefusalSchema, feedSnapshotSchema } from "./snapshot.js";

/** What the product knows about one instance's feed, kept as one document so a version and its snapshot are written together. */
const feedStateSchema = z.object({
  instance: z.enum(INSTANCES),
  /** In force until a newer feed is accepted. */
  lastGood: feedSnapshotSchema.optional(),
  /** The latest refusal, cleared when a feed is accepted. */
  refused: feedRefusalSchema.optional(),
  /** When /version was last asked; says nothing about what was stored. */
  lastVersionCheck: z.object({ at: z.string() }).optional(),
  /** After a 429, no request goes out before this time. */
  throttledUntil: z.string().optional(),
});

export type FeedState = z.infer<typeof feedStateSchema>;

export async function loadFeedState(store: StateStore, instance: Instance): Promise<{ state: FeedState; etag: string | undefined }> {
  const doc = await store.get("feed", instance);
  if (!doc) return { state: { instance }, etag: undefined };
  const parsed = feedStateSchema.safeParse(doc.value);
  if (!parsed.success)
    throw new DamagedDocumentError(`the stored feed state of ${instance} is not valid: ${parsed.error.issues[0]?.message ?? "unknown"}`, {
      cause: parsed.error,
    });
  return { state: parsed.data, etag: doc.etag };
}

/** Writes only if nobody else wrote since `etag` was read (ConcurrencyError otherwise). */
export async function saveFeedState(store: StateStore, state: FeedState, etag: string | undefined): Promise<void> {
  await store.put("feed", state.instance, state, etag === undefined ? { ifNoneMatch: "*" } : { ifMatch: etag });
}

/** Makes sure the instance's feed is kept from now on (its document exists), without asking the service. */
export async function keepFeedOf(store: StateStore, instance: Instance): Promise<void> {
  if (await store.get("feed", instance)) return;
  await store.put("feed", instance, { instance } satisfies FeedState, { ifNoneMatch: "*" }).catch((error: unknown) => {
    // Someone else created it first: that is all this wanted.
    if (!(error instanceof ConcurrencyError)) throw error;
  });
}
