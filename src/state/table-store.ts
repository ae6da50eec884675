import { odata, type TableClient, type TableEntity, type TableEntityResult, TableTransaction } from "@azure/data-tables";
import { ConcurrencyError, oneLine, redactUrl, redactUrls, StateStoreError } from "../errors.js";
import { CONFLICT_ATTEMPTS, type DocumentKind, type ListOptions, type StateStore, type StoredDocument, type WriteCondition } from "./store.js";
import {
  assemble,
  continuationKeys,
  decodeRowKey,
  documentName,
  encodeRowKey,
  escapeLineSeparators,
  etagOf,
  type Head,
  layOut,
  parseHead,
  type Row,
} from "./table-rows.js";

/** Reads retry while writers keep replacing a multi-row document under them. */
const READ_ATTEMPTS = 5;

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
