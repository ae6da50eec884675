/**
 * How a state document is laid out in Table Storage rows: its JSON in
 * string chunks of a first row and continuation rows, and keys encoded for
 * what RowKeys forbid. Pure; the store does the I/O.
 */
import { randomBytes } from "node:crypto";
import type { TableEntity, TableEntityResult } from "@azure/data-tables";
import { StateStoreError } from "../errors.js";
import { type DocumentKind, shortKey } from "./store.js";

/** Characters per string property; the service allows 32,768 UTF-16 units. */
export const CHUNK_CHARS = 30_000;
/** 14 × 60 KB of UTF-16 stays under the 1 MiB entity limit. */
export const CHUNKS_PER_ROW = 14;
/** Azurite measures an entity by its UTF-8 JSON body, where non-ASCII and escapes take more room. */
export const ROW_BODY_BYTES = 900 * 1024;
/** A transaction's body is at most 4 MiB; the rest is multipart framing. */
export const DOCUMENT_BODY_BYTES = 4 * 1024 * 1024 - 128 * 1024;
/** The service's RowKey limit, in characters. */
export const MAX_ROW_KEY_CHARS = 1024;
/** `~<16 hex>~<4 digits>` after the key in continuation rows. */
export const CONTINUATION_SUFFIX_CHARS = 22;

export type Row = Record<string, unknown>;

/** What a write needs to know about the stored version it replaces. */
export interface Head {
  etag: string;
  version: string;
  rows: number;
  chunks: number;
}

/** The entities of one document version: the first row with the bookkeeping, then continuation rows. */
export function layOut(kind: DocumentKind, rowKey: string, json: string, where: string): TableEntity<Row>[] {
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
  if (total > DOCUMENT_BODY_BYTES) {
    throw new StateStoreError(
      `${where} is too large for Table Storage: ${mebibytes(total)} MiB as sent, at most ${mebibytes(DOCUMENT_BODY_BYTES)} MiB`,
    );
  }
  const version = randomBytes(8).toString("hex");
  const chunkCount = rows.reduce((sum, r) => sum + r.length, 0);
  return rows.map((texts, index) => ({
    partitionKey: kind,
    rowKey: index === 0 ? rowKey : `${rowKey}~${version}~${sequence(index)}`,
    ...(index === 0 ? { version, rows: rows.length, chunks: chunkCount } : {}),
    ...Object.fromEntries(texts.map((text, i) => [chunkProperty(i), text])),
  }));
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
  if (texts.length !== head.chunks) throw new StateStoreError(`${where} is damaged: ${texts.length} of its ${head.chunks} chunks found`);
  try {
    return JSON.parse(texts.join(""));
  } catch (error) {
    throw new StateStoreError(`${where} is damaged: its stored text is not valid JSON`, { cause: error });
  }
}

export function rowChunks(row: Row): string[] {
  const texts: string[] = [];
  for (let i = 0; typeof row[chunkProperty(i)] === "string"; i++) texts.push(row[chunkProperty(i)] as string);
  return texts;
}

export function parseHead(row: TableEntityResult<Row>, where: string): Head {
  const { version, rows, chunks: chunkCount } = row;
  if (typeof version !== "string" || !isCount(rows) || !isCount(chunkCount) || row.etag === undefined) {
    throw new StateStoreError(`${where} is not a state document (its first row lacks version, rows or chunks)`);
  }
  return { etag: row.etag, version, rows, chunks: chunkCount };
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
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what Table keys forbid.
  const rowKey = key.replace(/[%~/\\#?\u0000-\u001f\u007f-\u009f]/g, (char) =>
    [...Buffer.from(char, "utf8")].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`).join(""),
  );
  const limit = MAX_ROW_KEY_CHARS - CONTINUATION_SUFFIX_CHARS;
  if (rowKey.length > limit) {
    throw new StateStoreError(`the key ${shortKey(key)} is too long for Table Storage: ${rowKey.length} characters once encoded, at most ${limit}`);
  }
  return rowKey;
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

export function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 1;
}

export function etagOf(etag: string | undefined): string {
  if (etag === undefined) throw new StateStoreError("Table Storage did not return the new ETag");
  return etag;
}

export function mebibytes(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
