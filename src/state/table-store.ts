import { type TableClient, type TableEntity, TableTransaction } from "@azure/data-tables";
import type { ContainerClient } from "@azure/storage-blob";
import { ConcurrencyError, DamagedDocumentError, DocumentTooLargeError, redactUrl, StateStoreError } from "../errors.js";
import { removeUnusedBlobs } from "./blob-leftovers.js";
import { BlobBodies, type BlobRef } from "./blob-store.js";
import { isConflict, isTableNotFound, statusOf, tableFailure } from "./storage-errors.js";
import { CONFLICT_ATTEMPTS, type DocumentKind, type ListOptions, type StateStore, type StoredDocument, type WriteCondition } from "./store.js";
import { continuationRows, createRows, oldContinuationKeys, readHead, readRow, replaceRows } from "./table-row-io.js";
import {
  type Address,
  addressOf,
  assemble,
  blobName,
  DOCUMENT_BODY_BYTES,
  decodeRowKey,
  documentName,
  encodeKeyText,
  escapeLineSeparators,
  type Head,
  layOut,
  listFilter,
  mebibytes,
  newVersion,
  parseHead,
  parseStored,
  pointerRow,
  type Row,
} from "./table-rows.js";

/** Reads retry while writers keep replacing a document under them. */
const READ_ATTEMPTS = 5;
/** Kept in a blob whatever their size: a run's outputs and a tenant's inventory are the bulk of the state. */
const BLOB_KINDS: ReadonlySet<DocumentKind> = new Set(["report", "inventory"]);

/**
 * State documents in Azure Table Storage. A document of BLOB_KINDS, or one
 * too large for a transaction's rows, keeps its JSON in a blob of
 * `container` (one immutable blob per version, see blob-store.ts) that its
 * first row points to; every other document is laid out in rows. The first
 * row is the point of concurrency either way: its ETag is the document's.
 * A write puts the new blob first, then the row, then deletes the blob of
 * the version it replaced, so no row ever points to a blob not yet written.
 * Without a container, every document is laid out in rows, at most
 * DOCUMENT_BODY_BYTES.
 */
export class TableStateStore implements StateStore {
  readonly description: string;
  private readonly client: TableClient;
  private readonly blobs: BlobBodies | undefined;
  private tableReady: Promise<void> | undefined;

  constructor(client: TableClient, container?: ContainerClient) {
    this.client = client;
    this.blobs = container && new BlobBodies(container);
    // redactUrl drops a SAS token that a SAS connection string puts in the URL.
    this.description = `Table Storage ${redactUrl(client.url).replace(/\/$/, "")}/${client.tableName}`;
  }

  async get(kind: DocumentKind, key: string): Promise<StoredDocument | undefined> {
    const where = documentName(kind, key);
    const address = addressOf(kind, key);
    await this.ready();
    try {
      let incompleteEtag: string | undefined;
      for (let attempt = 1; attempt <= READ_ATTEMPTS; attempt++) {
        const first = await readRow(this.client, address);
        if (!first) return undefined;
        const head = parseHead(first, where);
        const body = await this.body(address, head, first, where);
        if (body) return { value: body.value, etag: head.etag };
        // The same first row twice with its rows or blob missing is damage, not a writer replacing the document.
        if (incompleteEtag === head.etag) {
          const missing = head.blob ? "its blob is missing" : "continuation rows are missing";
          throw new DamagedDocumentError(`${where} in Table Storage is incomplete: ${missing}; write or delete it to repair`);
        }
        incompleteEtag = head.etag;
      }
      throw new StateStoreError(`${where} in Table Storage kept changing while being read; try again`);
    } catch (error) {
      throw this.failure(`could not read ${where}`, error);
    }
  }

  async put(kind: DocumentKind, key: string, value: unknown, condition: WriteCondition = {}): Promise<string> {
    const where = documentName(kind, key);
    if (condition.ifMatch !== undefined && condition.ifNoneMatch !== undefined)
      throw new StateStoreError(`${where}: a write takes ifMatch or ifNoneMatch, not both`);
    const address = addressOf(kind, key);
    const json = JSON.stringify(value) as string | undefined;
    if (json === undefined) throw new StateStoreError(`${where}: the value is not JSON (${typeof value})`);
    await this.ready();
    const { rows, blob } = await this.layOut(kind, address, json, where);
    try {
      return await this.write(address, rows, blob, condition, where);
    } catch (error) {
      // Only a refusal is final: after a timeout or a lost connection the write may still land and need its blob.
      if (blob && error instanceof ConcurrencyError) await this.discardUnused(address, blob, where);
      throw error;
    }
  }

  async delete(kind: DocumentKind, key: string, condition: Pick<WriteCondition, "ifMatch"> = {}): Promise<boolean> {
    const where = documentName(kind, key);
    const address = addressOf(kind, key);
    await this.ready();
    for (let attempt = 1; ; attempt++) {
      try {
        const head = await readHead(this.client, address, where);
        if (!head) return false;
        if (condition.ifMatch !== undefined && head.etag !== condition.ifMatch) throw new ConcurrencyError(`${where} was changed by another writer`);
        const rest = await oldContinuationKeys(this.client, address, head);
        if (rest.length === 0) {
          await this.client.deleteEntity(address.partitionKey, address.rowKey, { etag: head.etag });
        } else {
          const transaction = new TableTransaction();
          transaction.deleteEntity(address.partitionKey, address.rowKey);
          for (const restKey of rest) transaction.deleteEntity(address.partitionKey, restKey);
          await this.client.submitTransaction(transaction.actions);
        }
        // The row first: a reader who still holds it finds the blob gone, reads again and finds no document.
        if (head.blob) await this.dropBlob(head.blob, where);
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
    const prefix = options.prefix ? encodeKeyText(options.prefix) : undefined;
    const filter = listFilter(kind, prefix);
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

  /** The blobs no row points to (see blob-leftovers.ts); rows leave nothing behind, for a transaction writes them all or none. */
  async removeLeftovers(before: Date): Promise<number> {
    if (!this.blobs) return 0;
    await this.ready();
    return removeUnusedBlobs(this.client, this.blobs, before);
  }

  /** The rows of a new version; a document kept in a blob has its blob written here, before any row points to it. */
  private async layOut(kind: DocumentKind, address: Address, json: string, where: string): Promise<{ rows: TableEntity<Row>[]; blob?: BlobRef }> {
    const version = newVersion();
    const blobs = this.blobs;
    // JSON longer than the limit is more bytes still once sent: no need to lay it out to know.
    if (!blobs || (!BLOB_KINDS.has(kind) && json.length <= DOCUMENT_BODY_BYTES)) {
      const laidOut = layOut(address, version, escapeLineSeparators(json));
      if (laidOut.bytes <= DOCUMENT_BODY_BYTES) return { rows: laidOut.rows };
      if (!blobs) {
        const sizes = `${mebibytes(laidOut.bytes)} MiB as sent, at most ${mebibytes(DOCUMENT_BODY_BYTES)} MiB without Blob Storage`;
        throw new DocumentTooLargeError(`${where} is too large for Table Storage: ${sizes}`);
      }
    }
    const blob = await blobs.upload(blobName(this.client.tableName, kind, address.rowKey, version), Buffer.from(json, "utf8"), where);
    return { rows: [pointerRow(address, version, blob)], blob };
  }

  private async write(
    address: Address,
    rows: TableEntity<Row>[],
    blob: BlobRef | undefined,
    condition: WriteCondition,
    where: string,
  ): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (condition.ifNoneMatch === "*") return await createRows(this.client, rows);
        const head = await readHead(this.client, address, where);
        if (condition.ifMatch !== undefined && head?.etag !== condition.ifMatch) {
          throw new ConcurrencyError(head ? `${where} was changed by another writer` : `${where} does not exist (any more)`);
        }
        if (!head) return await createRows(this.client, rows);
        const etag = await replaceRows(this.client, rows, head);
        // The replaced version's blob, now that no row points to it; never our own, which a retry after a write
        // that landed without its answer finds as the version it replaces.
        if (head.blob && head.blob.name !== blob?.name) await this.dropBlob(head.blob, where);
        return etag;
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

  /** The document's value, or undefined when part of it is gone: a writer replaced or deleted it since its first row was read. */
  private async body(address: Address, head: Head, first: Row, where: string): Promise<{ value: unknown } | undefined> {
    if (head.blob) {
      if (!this.blobs) throw new StateStoreError(`${where} is kept in Blob Storage, which this store was opened without`);
      const bytes = await this.blobs.download(head.blob, where);
      return bytes && { value: parseStored(bytes.toString("utf8"), where) };
    }
    const rest = head.rows > 1 ? await continuationRows(this.client, address, head.version) : [];
    return rest.length === head.rows - 1 ? { value: assemble(head, [first, ...rest], where) } : undefined;
  }

  /**
   * After a refused write: its blob goes unless the row points to it (a write
   * can land although its answer is lost, and the retry is then refused).
   */
  private async discardUnused(address: Address, blob: BlobRef, where: string): Promise<void> {
    try {
      if ((await readHead(this.client, address, where))?.blob?.name !== blob.name) await this.blobs?.remove(blob.name, `the unused blob of ${where}`);
    } catch {
      // In doubt it stays: removeLeftovers deletes it once no row points to it.
    }
  }

  /** A blob no row points to any more; one that cannot be deleted now is left to removeLeftovers. */
  private async dropBlob(blob: BlobRef, where: string): Promise<void> {
    await this.blobs?.remove(blob.name, `the old blob of ${where}`).catch(() => undefined);
  }

  /** Creates the table once per instance (the SDK tolerates "already exists"); a failure is tried again next call. */
  private ready(): Promise<void> {
    this.tableReady ??= this.client.createTable().catch((error: unknown) => {
      this.tableReady = undefined;
      throw tableFailure(`could not create the table ${this.client.tableName}`, error);
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
    return tableFailure(message, error, conflict);
  }
}
