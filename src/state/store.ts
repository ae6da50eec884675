/**
 * The state store: JSON documents addressed by kind and key, with ETags for
 * optimistic concurrency. Two implementations share this contract and one
 * test suite: a local state directory for the CLI and Azure Table Storage for
 * the functions. Typed records (feed state, inventories, runs) are built on
 * top of it in records.ts; the store itself never interprets a document.
 */
export type DocumentKind = "installation" | "feed" | "inventory" | "run" | "report";

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
  /** Keys of every document of a kind, in ascending order. */
  list(kind: DocumentKind): Promise<string[]>;
}
