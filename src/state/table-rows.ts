/**
 * How a state document is laid out in Table Storage: its JSON in string
 * chunks of a first row and continuation rows, or in a blob the first row
 * points to; keys encoded for what table keys forbid, and partitions that
 * spread the documents of a kind. Pure; the store does the I/O.
 */
import { randomBytes } from "node:crypto";
import { odata, type TableEntity, type TableEntityResult } from "@azure/data-tables";
import { z } from "zod";
import { DamagedDocumentError, StateStoreError } from "../errors.js";
import type { BlobRef } from "./blob-store.js";
import { DOCUMENT_KINDS, type DocumentKind, shortKey } from "./store.js";

/** Characters per string property; the service allows 32,768 UTF-16 units. */
export const CHUNK_CHARS = 30_000;
/** 14 × 60 KB of UTF-16 stays under the 1 MiB entity limit. */
export const CHUNKS_PER_ROW = 14;
/** Azurite measures an entity by its UTF-8 JSON body, where non-ASCII and escapes take more room. */
export const ROW_BODY_BYTES = 900 * 1024;
/** A transaction's body is at most 4 MiB; the rest is multipart framing. */
export const DOCUMENT_BODY_BYTES = 4 * 1024 * 1024 - 128 * 1024;
/** A version is 16 hex digits. */
const VERSION_CHARS = 16;
/** Table names are at most 63 characters. */
const MAX_TABLE_NAME_CHARS = 63;
const LONGEST_KIND = Math.max(...DOCUMENT_KINDS.map((kind) => kind.length));
/**
 * Encoded keys are at most this long, so that every name made of one fits:
 * the longest is a blob name, `<table>/<kind>/<key>~<version>`, of at most
 * 1,024 characters; a continuation RowKey (key + 22) and a PartitionKey
 * (kind + 1 + key) stay within their 1,024 too.
 */
export const MAX_KEY_CHARS = 1024 - MAX_TABLE_NAME_CHARS - LONGEST_KIND - VERSION_CHARS - "//~".length;

export type Row = Record<string, unknown>;

/** Where a document's rows are: every row of one document shares its partition, so one transaction can write them. */
export interface Address {
  partitionKey: string;
  rowKey: string;
}

/** What a write needs to know about the stored version it replaces. */
export interface Head {
  etag: string;
  version: string;
  /** 1 for a document in a blob. */
  rows: number;
  /** 0 for a document in a blob. */
  chunks: number;
  blob?: BlobRef | undefined;
}

/**
 * The document's address. Its partition is the kind and the key's first
 * segment, up to the first `/`: the tenant for a report (`tenant/run`) and a
 * tenant's own documents, the run for its tenant records (`run/tenant`). Load
 * spreads over tenants and runs, and what is listed together (a run's
 * records, a tenant's alerts) shares a partition. No kind contains the `|`
 * that ends it. (Nothing was ever deployed with one partition per kind, so
 * no rows need moving.)
 *
 * @example addressOf("report", "contoso.com/2f1c") // { partitionKey: "report|contoso.com", rowKey: "contoso.com%2F2f1c" }
 */
export function addressOf(kind: DocumentKind, key: string): Address {
  const rowKey = encodeRowKey(key);
  return { partitionKey: partitionOf(kind, rowKey), rowKey };
}

/** The partition of an encoded key (or prefix that spans its first segment); `/` is always encoded as `%2F`, and `%` as `%25`. */
export function partitionOf(kind: DocumentKind, encoded: string): string {
  const slash = encoded.indexOf("%2F");
  return `${kind}|${slash === -1 ? encoded : encoded.slice(0, slash)}`;
}

/**
 * The filter for the first rows of a kind's documents, or of those whose key
 * starts with an encoded prefix. A prefix that spans its first segment names
 * one partition; a shorter one starts the names of several. `kind|…` sorts
 * after `kind|` and before `kind}`.
 */
export function listFilter(kind: DocumentKind, prefix?: string): string {
  if (prefix === undefined) return odata`PartitionKey ge ${`${kind}|`} and PartitionKey lt ${`${kind}}`}`;
  const partition = partitionOf(kind, prefix);
  if (prefix.includes("%2F")) return odata`PartitionKey eq ${partition} and RowKey ge ${prefix} and RowKey lt ${`${prefix}\uffff`}`;
  return odata`PartitionKey ge ${partition} and PartitionKey lt ${`${partition}\uffff`}`;
}

export function newVersion(): string {
  return randomBytes(VERSION_CHARS / 2).toString("hex");
}

/**
 * The blob of one document version: under the table's name, so that tables
 * sharing a container never take each other's blobs for leftovers; `~` never
 * occurs in an encoded key, and makes the last segment neither `.` nor `..`.
 */
export function blobName(tableName: string, kind: DocumentKind, rowKey: string, version: string): string {
  return `${blobPrefix(tableName)}${kind}/${rowKey}~${version}`;
}

export function blobPrefix(tableName: string): string {
  return `${tableName}/`;
}

/** The kind of a blob named by `blobName`, or undefined for a name it does not make. */
export function kindOfBlob(tableName: string, name: string): DocumentKind | undefined {
  const kind = name.slice(blobPrefix(tableName).length).split("/", 1)[0];
  return DOCUMENT_KINDS.find((known) => known === kind);
}

/** The first row of a document version kept in a blob. */
export function pointerRow(address: Address, version: string, blob: BlobRef): TableEntity<Row> {
  return { ...address, version, blob: blob.name, bytes: blob.bytes, sha256: blob.sha256 };
}

/**
 * The entities of one document version: the first row with the bookkeeping,
 * then continuation rows; and the size of the transaction's body they make,
 * which the store compares with DOCUMENT_BODY_BYTES.
 */
export function layOut(address: Address, version: string, json: string): { rows: TableEntity<Row>[]; bytes: number } {
  const rows: string[][] = [];
  let row: string[] = [];
  let rowBytes = 0;
  let total = 0;
  for (const chunk of chunks(json)) {
    const bytes = Buffer.byteLength(JSON.stringify(chunk));
    if (row.length === CHUNKS_PER_ROW || (row.length > 0 && rowBytes + bytes > ROW_BODY_BYTES)) {
      rows.push(row);
      row = [];
      rowBytes = 0;
    }
    row.push(chunk);
    rowBytes += bytes;
    total += bytes;
  }
  rows.push(row);
  const chunkCount = rows.reduce((sum, r) => sum + r.length, 0);
  const entities = rows.map((texts, index) => ({
    partitionKey: address.partitionKey,
    rowKey: index === 0 ? address.rowKey : `${address.rowKey}~${version}~${sequence(index)}`,
    ...(index === 0 ? { version, rows: rows.length, chunks: chunkCount } : {}),
    ...Object.fromEntries(texts.map((text, i) => [chunkProperty(i), text])),
  }));
  return { rows: entities, bytes: total };
}

/** The same JSON: U+2028 and U+2029 only occur inside string literals, where an escape means the same. */
export function escapeLineSeparators(json: string): string {
  return json.replace(/[\u2028\u2029]/g, (char) => (char === "\u2028" ? "\\u2028" : "\\u2029"));
}

/** Pieces of at most CHUNK_CHARS that never split a surrogate pair (a lone half is not valid text on the wire). */
export function* chunks(text: string): Generator<string> {
  for (let start = 0; start < text.length; ) {
    let end = Math.min(start + CHUNK_CHARS, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield text.slice(start, end);
    start = end;
  }
}

export function assemble(head: Head, rows: Row[], where: string): unknown {
  const texts = rows.flatMap(rowChunks);
  if (texts.length !== head.chunks) throw new DamagedDocumentError(`${where} is damaged: ${texts.length} of its ${head.chunks} chunks found`);
  return parseStored(texts.join(""), where);
}

export function parseStored(json: string, where: string): unknown {
  try {
    return JSON.parse(json);
  } catch (error) {
    throw new DamagedDocumentError(`${where} is damaged: its stored text is not valid JSON`, { cause: error });
  }
}

export function rowChunks(row: Row): string[] {
  const texts: string[] = [];
  for (let i = 0; typeof row[chunkProperty(i)] === "string"; i++) texts.push(row[chunkProperty(i)] as string);
  return texts;
}

const count = z.int().min(1);
/** A selected property the row lacks may come back as null. */
const absent = z.null().optional();
const headSchema = z.union([
  z.object({ etag: z.string(), version: z.string(), rows: count, chunks: count, blob: absent }),
  z.object({ etag: z.string(), version: z.string(), blob: z.string().min(1), bytes: count, sha256: z.base64().length(44) }),
]);

/** The properties parseHead reads. */
export const HEAD_PROPERTIES = ["version", "rows", "chunks", "blob", "bytes", "sha256"];

export function parseHead(row: TableEntityResult<Row>, where: string): Head {
  const parsed = headSchema.safeParse(row);
  if (!parsed.success) {
    throw new DamagedDocumentError(`${where} is not a state document (its first row has neither version, rows and chunks nor version and a blob)`);
  }
  const head = parsed.data;
  if (!("bytes" in head)) return { etag: head.etag, version: head.version, rows: head.rows, chunks: head.chunks };
  return { etag: head.etag, version: head.version, rows: 1, chunks: 0, blob: { name: head.blob, bytes: head.bytes, sha256: head.sha256 } };
}

export function continuationKeys(rowKey: string, head: Head): string[] {
  return Array.from({ length: head.rows - 1 }, (_, i) => `${rowKey}~${head.version}~${sequence(i + 1)}`);
}

/**
 * Key → RowKey. Table keys may not contain `/ \\ # ?` or control characters;
 * those, `%` (the escape) and `~` (the continuation separator) are
 * percent-encoded as UTF-8, everything else stays readable.
 *
 * @example encodeRowKey("a/b~c") // "a%2Fb%7Ec"
 */
export function encodeRowKey(key: string): string {
  if (key === "") throw new StateStoreError("a document key must not be empty");
  // A lone surrogate would be sent as U+FFFD and stored under a different key.
  if (/\p{Cs}/u.test(key)) throw new StateStoreError(`the key ${shortKey(key)} is not well-formed Unicode`);
  const rowKey = encodeKeyText(key);
  if (rowKey.length > MAX_KEY_CHARS) {
    throw new StateStoreError(
      `the key ${shortKey(key)} is too long for Table Storage: ${rowKey.length} characters once encoded, at most ${MAX_KEY_CHARS}`,
    );
  }
  return rowKey;
}

/** The encoding alone, character by character: an encoded prefix is the prefix of every encoded key it starts. */
export function encodeKeyText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what Table keys forbid.
  return text.replace(/[%~/\\#?\u0000-\u001f\u007f-\u009f]/g, (char) =>
    [...Buffer.from(char, "utf8")].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`).join(""),
  );
}

export function decodeRowKey(rowKey: string, kind: DocumentKind): string {
  try {
    return decodeURIComponent(rowKey);
  } catch (error) {
    throw new StateStoreError(`the ${kind} row ${JSON.stringify(rowKey)} is not a state document key`, { cause: error });
  }
}

export function documentName(kind: DocumentKind, key: string): string {
  return `${kind} ${shortKey(key)}`;
}

export function chunkProperty(index: number): string {
  return `c${String(index).padStart(2, "0")}`;
}

export function sequence(index: number): string {
  return String(index).padStart(4, "0");
}

export function etagOf(etag: string | undefined): string {
  if (etag === undefined) throw new StateStoreError("Table Storage did not return the new ETag");
  return etag;
}

export function mebibytes(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
