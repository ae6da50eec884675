import { z } from "zod";
import { StateStoreError } from "../errors.js";
import type { StateStore } from "../state/store.js";
import { INSTANCES, type Instance } from "./instances.js";
import type { FeedRefusal, FeedSnapshot } from "./snapshot.js";

/** What the product knows about one instance's feed, kept as one document so a version and its snapshot are written together. */
export interface FeedState {
  instance: Instance;
  /** In force until a newer feed is accepted. */
  lastGood?: FeedSnapshot | undefined;
  /** The latest refusal, cleared when a feed is accepted. */
  refused?: FeedRefusal | undefined;
  /** The last /version answer; says nothing about what was stored. */
  lastVersionCheck?: { at: string; latest: string } | undefined;
  /** After a 429, no request goes out before this time. */
  throttledUntil?: string | undefined;
}

const version = z.string().regex(/^\d{10}$/).nullable();
const snapshot = z.object({
  instance: z.enum(INSTANCES),
  version,
  fetchedAt: z.string(),
  source: z.string(),
  setIds: z.array(z.number()),
  eopRanges: z.array(z.string()),
});
const feedState = z.object({
  instance: z.enum(INSTANCES),
  lastGood: snapshot.optional(),
  refused: z.object({ version, at: z.string(), source: z.string(), reason: z.string() }).optional(),
  lastVersionCheck: z.object({ at: z.string(), latest: z.string() }).optional(),
  throttledUntil: z.string().optional(),
});

export async function loadFeedState(store: StateStore, instance: Instance): Promise<{ state: FeedState; etag: string | undefined }> {
  const doc = await store.get("feed", instance);
  if (!doc) return { state: { instance }, etag: undefined };
  const parsed = feedState.safeParse(doc.value);
  if (!parsed.success) throw new StateStoreError(`the stored feed state of ${instance} is not valid: ${parsed.error.issues[0]?.message ?? "unknown"}`);
  return { state: parsed.data, etag: doc.etag };
}

/** Writes only if nobody else wrote since `etag` was read (ConcurrencyError otherwise). */
export async function saveFeedState(store: StateStore, state: FeedState, etag: string | undefined): Promise<void> {
  await store.put("feed", state.instance, state, etag === undefined ? { ifNoneMatch: "*" } : { ifMatch: etag });
}

