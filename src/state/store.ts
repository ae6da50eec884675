import { ConcurrencyError } from "../errors.js";

/**
 * The state store: JSON documents addressed by kind and key, with ETags for
 * optimistic concurrency. Two implementations share this contract and one
 * test suite: a local state directory for the CLI and Azure Table Storage
 * (large documents in Blob Storage) for the functions. Typed records (feed state, inventories, runs) are built on
 * top of it by their own modules; the store never interprets a document.
 */
export const DOCUMENT_KINDS = [
  "installation",
  "feed",
  "inventory",
  "run",
  "run-tenant",
  "run-lease",
  "report",
  "finding-state",
  "alert",
  "alert-config",
  "alert-schedule",
] as const;

export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

export interface ListOptions {
  /** Only keys that start with this text. */
  prefix?: string;
}

export interface StoredDocument {
  /** The parsed JSON value, exactly as it was put. */
  value: unknown;
  /** Opaque; pass it back as `ifMatch` to write only if nobody wrote in between. */
  etag: string;
}

export interface WriteCondition {
  /** Write only if the stored document still has this ETag (else ConcurrencyError). */
  ifMatch?: string;
  /** `"*"`: write only if no document exists yet (else ConcurrencyError). */
  ifNoneMatch?: "*";
}

export interface StateStore {
  /** Where the state lives, for logs and summaries; never contains a secret. */
  readonly description: string;
  get(kind: DocumentKind, key: string): Promise<StoredDocument | undefined>;
  /** Writes the whole document atomically: a reader sees the old or the new value, never a mix. Returns the new ETag. */
  put(kind: DocumentKind, key: string, value: unknown, condition?: WriteCondition): Promise<string>;
  /** Returns false when there was nothing to delete. */
  delete(kind: DocumentKind, key: string, condition?: Pick<WriteCondition, "ifMatch">): Promise<boolean>;
  /** Keys of every document of a kind (or those with a prefix), in ascending order. */
  list(kind: DocumentKind, options?: ListOptions): Promise<string[]>;
  /**
   * Removes what writes cut short (a crash, a lost connection) left behind before `before`, never
   * anything a document uses; returns how many things it removed. For a daily pass: a write in
   * progress is newer than `before`.
   */
  removeLeftovers(before: Date): Promise<number>;
}

/** How often a read-modify-write is tried when another writer keeps winning. */
export const CONFLICT_ATTEMPTS = 5;

/**
 * Runs a read-modify-write again when a conditional write lost (another timer,
 * re-sync or worker wrote in between); the work reads the winner's state first.
 */
export async function retryOnConflict<T>(work: () => Promise<T>, attempts = CONFLICT_ATTEMPTS): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || i >= attempts) throw error;
    }
  }
}

/** A key for a message: quoted, and cut short so that a huge key still gives one readable line. */
export function shortKey(key: string): string {
  const chars = [...key];
  return chars.length > 60 ? `${JSON.stringify(chars.slice(0, 60).join(""))}… (${key.length} characters)` : JSON.stringify(key);
}
