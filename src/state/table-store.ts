/**
 * The state store on Azure Table Storage. PartitionKey = kind, RowKey = the
 * encoded key. The document's JSON text is cut into string properties
 * `c00`, `c01`… because a string property holds at most 32K UTF-16 units.
 * A document too big for one entity continues in rows named
 * `<row key>~<version>~0001`…, where `version` is random per write and kept
 * in the first row:
 *
 * - a write replaces the first row (conditional on its ETag), creates the new
 *   version's rows and deletes the old version's rows in one transaction, so
 *   readers see the old or the new document;
 * - continuation rows are never overwritten, so a reader that finds fewer rows
 *   of its version than the first row names knows a writer replaced them and
 *   reads again;
 * - the SDK sends no If-Match for deletes in a transaction, so a multi-row
 *   delete removes the first row unconditionally together with its version's
 *   continuation rows: those exist only while that version is current, so the
 *   transaction fails (404) if anyone replaced or deleted the document since.
 *
 * Every write is a transaction, even of one entity: Azurite 3.35 decodes a
 * plain entity request's body per 64 KiB network chunk, garbling any UTF-8
 * sequence split between two chunks, while it decodes a transaction whole.
 * The service treats both alike. Azurite's transaction parser in turn loses
 * U+2028 and U+2029, so the JSON text carries those two as `\u` escapes.
 */
import { randomBytes } from "node:crypto";
import { odata, type TableClient, type TableEntity, type TableEntityResult, TableTransaction } from "@azure/data-tables";
import { ConcurrencyError, oneLine, redactUrl, redactUrls, StateStoreError } from "../errors.js";
import { CONFLICT_ATTEMPTS, type DocumentKind, type ListOptions, type StateStore, type StoredDocument, type WriteCondition } from "./store.js";

/** Characters per string property; the service allows 32,768 UTF-16 units. */
const CHUNK_CHARS = 30_000;
/** 14 × 60 KB of UTF-16 stays under the 1 MiB entity limit. */
const CHUNKS_PER_ROW = 14;
/** Azurite measures an entity by its UTF-8 JSON body, where non-ASCII and escapes take more room. */
const ROW_BODY_BYTES = 900 * 1024;
/** A transaction's body is at most 4 MiB; the rest is multipart framing. */
const DOCUMENT_BODY_BYTES = 4 * 1024 * 1024 - 128 * 1024;
/** Reads retry while writers keep replacing a multi-row document under them. */
const READ_ATTEMPTS = 5;
/** The service's RowKey limit, in characters. */
const MAX_ROW_KEY_CHARS = 1024;
/** `~<16 hex>~<4 digits>` after the key in continuation rows. */
const CONTINUATION_SUFFIX_CHARS = 22;

type Row = Record<string, unknown>;

/** What a write needs to know about the stored version it replaces. */
interface Head {
  etag: string;
  version: string;
  rows: number;
  chunks: number;
}

export class TableStateStore implements StateStore {
  readonly description: string;
  private readonly client: TableClient;
  private tableReady: Promise<void> | undefined;

  constructor(client: TableClient) {
    this.client = client;
    // redactUrl drops a SAS token that a SAS connection string puts in the URL.
    this.description = `Table Storage ${redactUrl(client.url).replace(/\/$/, "")}/${client.tableName}`;
  }

  async get(kind: DocumentKind, key: string): Promise<StoredDocument | undefined> {
    const where = documentName(kind, key);
    const rowKey = encodeRowKey(key);
    await this.ready();
    try {
      let incompleteEtag: string | undefined;
      for (let attempt = 1; attempt <= READ_ATTEMPTS; attempt++) {
        const first = await this.readRow(kind, rowKey);
        if (!first) return undefined;
        const head = parseHead(first, where);
        const rest = head.rows > 1 ? await this.continuationRows(kind, rowKey, head.version) : [];
        if (rest.length === head.rows - 1) return { value: assemble(head, [first, ...rest], where), etag: head.etag };
        // The same first row twice with rows missing is damage, not a writer replacing the document.
        if (incompleteEtag === head.etag) {
          throw new StateStoreError(`${where} in ${this.description} is incomplete: continuation rows are missing; write or delete it to repair`);
        }
        incompleteEtag = head.etag;
      }
      throw new StateStoreError(`${where} in ${this.description} kept changing while being read; try again`);
    } catch (error) {
      throw this.failure(`could not read ${where}`, error);
    }
  }

  async put(kind: DocumentKind, key: string, value: unknown, condition: WriteCondition = {}): Promise<string> {
    const where = documentName(kind, key);
    if (condition.ifMatch !== undefined && condition.ifNoneMatch !== undefined)
      throw new StateStoreError(`${where}: a write takes ifMatch or ifNoneMatch, not both`);
    const rowKey = encodeRowKey(key);
    const json = JSON.stringify(value) as string | undefined;
    if (json === undefined) throw new StateStoreError(`${where}: the value is not JSON (${typeof value})`);
    const rows = layOut(kind, rowKey, escapeLineSeparators(json), where);
    await this.ready();
    for (let attempt = 1; ; attempt++) {
      try {
        if (condition.ifNoneMatch === "*") return await this.create(rows);
        const head = await this.readHead(kind, rowKey, where);
        if (condition.ifMatch !== undefined && head?.etag !== condition.ifMatch) {
          throw new ConcurrencyError(head ? `${where} was changed by another writer` : `${where} does not exist (any more)`);
        }
        return head ? await this.replace(rows, head) : await this.create(rows);
      } catch (error) {
        const conditional = condition.ifMatch !== undefined || condition.ifNoneMatch !== undefined;
        if (!conditional && isConflict(error) && attempt < CONFLICT_ATTEMPTS) continue;
        throw this.failure(
          `could not write ${where}`,
          error,
          statusOf(error) === 409 ? `${where} already exists` : `${where} was changed by another writer`,
        );
      }
    }
  }

  async delete(kind: DocumentKind, key: string, condition: Pick<WriteCondition, "ifMatch"> = {}): Promise<boolean> {
    const where = documentName(kind, key);
    const rowKey = encodeRowKey(key);
    await this.ready();
    for (let attempt = 1; ; attempt++) {
      try {
        const head = await this.readHead(kind, rowKey, where);
        if (!head) return false;
        if (condition.ifMatch !== undefined && head.etag !== condition.ifMatch) throw new ConcurrencyError(`${where} was changed by another writer`);
        const rest = await this.oldContinuationKeys(kind, rowKey, head);
        if (rest.length === 0) {
          await this.client.deleteEntity(kind, rowKey, { etag: head.etag });
        } else {
          const transaction = new TableTransaction();
          transaction.deleteEntity(kind, rowKey);
          for (const restKey of rest) transaction.deleteEntity(kind, restKey);
          await this.client.submitTransaction(transaction.actions);
        }
        return true;
      } catch (error) {
        // Retrying re-reads the document: gone means false, a new ETag fails ifMatch above.
        if (!(error instanceof StateStoreError) && isConflict(error) && attempt < CONFLICT_ATTEMPTS) continue;
        throw this.failure(`could not delete ${where}`, error, `${where} was changed by another writer`);
      }
    }
  }

  async list(kind: DocumentKind, options: ListOptions = {}): Promise<string[]> {
    await this.ready();
    const keys: string[] = [];
    // Encoding is character by character, so an encoded prefix is the prefix of every encoded key it starts.
    const prefix = options.prefix === undefined ? undefined : encodeRowKey(options.prefix);
    const filter =
      prefix === undefined
        ? odata`PartitionKey eq ${kind}`
        : odata`PartitionKey eq ${kind} and RowKey ge ${prefix} and RowKey lt ${`${prefix}\uffff`}`;
    try {
      const rows = this.client.listEntities({ queryOptions: { filter, select: ["RowKey"] } });
      for await (const row of rows) {
        // Only continuation rows contain "~": keys have it encoded.
        if (row.rowKey === undefined || row.rowKey.includes("~") || (prefix !== undefined && !row.rowKey.startsWith(prefix))) continue;
        keys.push(decodeRowKey(row.rowKey, kind));
      }
    } catch (error) {
      throw this.failure(`could not list ${kind} documents`, error);
    }
    return keys.sort();
  }

  /** Creates the table once per instance (the SDK tolerates "already exists"); a failure is tried again next call. */
  private ready(): Promise<void> {
    this.tableReady ??= this.client.createTable().catch((error: unknown) => {
      this.tableReady = undefined;
      throw failure(`could not create the table ${this.client.tableName}`, error);
    });
    return this.tableReady;
  }

  /** Our error for a failed call; a vanished table is created again on the next call. */
  private failure(message: string, error: unknown, conflict?: string): StateStoreError {
    if (isTableNotFound(error)) {
      this.tableReady = undefined;
      return new StateStoreError(`Table Storage: ${message}: the table ${this.client.tableName} does not exist (deleted while in use?)`, {
        cause: error,
      });
    }
    return failure(message, error, conflict);
  }

  private async readRow(kind: DocumentKind, rowKey: string, select?: string[]): Promise<TableEntityResult<Row> | undefined> {
    try {
      return await this.client.getEntity<Row>(kind, rowKey, select ? { queryOptions: { select } } : {});
    } catch (error) {
      if (isEntityNotFound(error)) return undefined;
      throw error;
    }
  }

  private async readHead(kind: DocumentKind, rowKey: string, where: string): Promise<Head | undefined> {
    const first = await this.readRow(kind, rowKey, ["version", "rows", "chunks"]);
    return first && parseHead(first, where);
  }

  private async continuationRows(kind: DocumentKind, rowKey: string, version: string, select?: string[]): Promise<TableEntityResult<Row>[]> {
    const prefix = `${rowKey}~${version}~`;
    const rows: TableEntityResult<Row>[] = [];
    const filter = odata`PartitionKey eq ${kind} and RowKey gt ${prefix} and RowKey lt ${`${prefix}~`}`;
    for await (const row of this.client.listEntities<Row>({ queryOptions: { filter, ...(select ? { select } : {}) } })) rows.push(row);
    return rows;
  }

  private async create(rows: TableEntity<Row>[]): Promise<string> {
    const transaction = new TableTransaction();
    for (const row of rows) transaction.createEntity(row);
    return etagOf((await this.client.submitTransaction(transaction.actions)).subResponses[0]?.etag);
  }

  private async replace(rows: TableEntity<Row>[], head: Head): Promise<string> {
    const [first, ...rest] = rows as [TableEntity<Row>, ...TableEntity<Row>[]];
    const transaction = new TableTransaction();
    transaction.updateEntity(first, "Replace", { etag: head.etag });
    for (const row of rest) transaction.createEntity(row);
    for (const rowKey of await this.oldContinuationKeys(first.partitionKey as DocumentKind, first.rowKey, head))
      transaction.deleteEntity(first.partitionKey, rowKey);
    return etagOf((await this.client.submitTransaction(transaction.actions)).subResponses[0]?.etag);
  }

  /**
   * The continuation rows a replace or delete of `head` must remove: all of
   * its version's, or when some are missing (a damaged document) those still
   * there, so that writing or deleting repairs it. If the version was
   * replaced meanwhile, the transaction fails on the first row's ETag or on a
   * row that is gone, and the caller reads again.
   */
  private async oldContinuationKeys(kind: DocumentKind, rowKey: string, head: Head): Promise<string[]> {
    if (head.rows === 1) return [];
    const present = (await this.continuationRows(kind, rowKey, head.version, ["RowKey"])).map((row) => row.rowKey);
    const expected = continuationKeys(rowKey, head);
    return present.length === expected.length ? expected : expected.filter((key) => present.includes(key));
  }
}

/** The entities of one document version: the first row with the bookkeeping, then continuation rows. */
function layOut(kind: DocumentKind, rowKey: string, json: string, where: string): TableEntity<Row>[] {
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
function escapeLineSeparators(json: string): string {
  return json.replace(/[\u2028\u2029]/g, (char) => (char === "\u2028" ? "\\u2028" : "\\u2029"));
}

/** Pieces of at most CHUNK_CHARS that never split a surrogate pair (a lone half is not valid text on the wire). */
function* chunks(text: string): Generator<string> {
  for (let start = 0; start < text.length; ) {
    let end = Math.min(start + CHUNK_CHARS, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield text.slice(start, end);
    start = end;
  }
}

function assemble(head: Head, rows: Row[], where: string): unknown {
  const texts = rows.flatMap(rowChunks);
  if (texts.length !== head.chunks) throw new StateStoreError(`${where} is damaged: ${texts.length} of its ${head.chunks} chunks found`);
  try {
    return JSON.parse(texts.join(""));
  } catch (error) {
    throw new StateStoreError(`${where} is damaged: its stored text is not valid JSON`, { cause: error });
  }
}

function rowChunks(row: Row): string[] {
  const texts: string[] = [];
  for (let i = 0; typeof row[chunkProperty(i)] === "string"; i++) texts.push(row[chunkProperty(i)] as string);
  return texts;
}

function parseHead(row: TableEntityResult<Row>, where: string): Head {
  const { version, rows, chunks: chunkCount } = row;
  if (typeof version !== "string" || !isCount(rows) || !isCount(chunkCount) || row.etag === undefined) {
    throw new StateStoreError(`${where} is not a state document (its first row lacks version, rows or chunks)`);
  }
  return { etag: row.etag, version, rows, chunks: chunkCount };
}

function continuationKeys(rowKey: string, head: Head): string[] {
  return Array.from({ length: head.rows - 1 }, (_, i) => `${rowKey}~${head.version}~${sequence(i + 1)}`);
}

/**
 * Key → RowKey. Table keys may not contain `/ \\ # ?` or control characters;
 * those, `%` (the escape) and `~` (the continuation separator) are
 * percent-encoded as UTF-8, everything else stays readable.
 *
 * @example encodeRowKey("a/b~c") // "a%2Fb%7Ec"
 */
function encodeRowKey(key: string): string {
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

/** A key for a message: quoted, and cut short so that a huge key still gives one readable line. */
function shortKey(key: string): string {
  const chars = [...key];
  return chars.length > 60 ? `${JSON.stringify(chars.slice(0, 60).join(""))}… (${key.length} characters)` : JSON.stringify(key);
}

function decodeRowKey(rowKey: string, kind: DocumentKind): string {
  try {
    return decodeURIComponent(rowKey);
  } catch (error) {
    throw new StateStoreError(`the ${kind} row ${JSON.stringify(rowKey)} is not a state document key`, { cause: error });
  }
}

function documentName(kind: DocumentKind, key: string): string {
  return `${kind} ${shortKey(key)}`;
}

function chunkProperty(index: number): string {
  return `c${String(index).padStart(2, "0")}`;
}

function sequence(index: number): string {
  return String(index).padStart(4, "0");
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 1;
}

function etagOf(etag: string | undefined): string {
  if (etag === undefined) throw new StateStoreError("Table Storage did not return the new ETag");
  return etag;
}

function mebibytes(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

function errorCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; details?: { errorCode?: unknown } } | null;
  const code = e?.code ?? e?.details?.errorCode;
  return typeof code === "string" ? code : undefined;
}

function isTableNotFound(error: unknown): boolean {
  return statusOf(error) === 404 && errorCode(error) === "TableNotFound";
}

function isEntityNotFound(error: unknown): boolean {
  return statusOf(error) === 404 && !isTableNotFound(error);
}

/** 404, 409 and 412 on a write: the first row (or a continuation row of its version) changed, vanished or appeared since it was read. */
function isConflict(error: unknown): boolean {
  if (error instanceof ConcurrencyError) return true;
  const status = statusOf(error);
  return isEntityNotFound(error) || status === 409 || status === 412;
}

/**
 * Our error for a failed call, with the cause kept. The message names the
 * status and the service's error code, never the request (its URL may carry
 * a SAS token).
 *
 * @param conflict the message when the failure is a lost race, for writes
 */
function failure(message: string, error: unknown, conflict?: string): StateStoreError {
  if (error instanceof StateStoreError) return error;
  if (conflict !== undefined && isConflict(error)) return new ConcurrencyError(conflict, { cause: error });
  return new StateStoreError(`Table Storage: ${message}: ${detail(error)}`, { cause: error });
}

function detail(error: unknown): string {
  const status = statusOf(error);
  const code = errorCode(error);
  if (status !== undefined) return [`HTTP ${status}`, code].filter(Boolean).join(" ");
  return scrub(oneLine(error)).slice(0, 300);
}

/** Transport errors quote hosts, not requests; still, drop anything that could carry a secret. */
function scrub(text: string): string {
  return redactUrls(text).replace(/\b(AccountKey|SharedAccessSignature|sig)=[^;&\s]+/gi, "$1=…");
}
