/**
 * The row-level calls of the Table store: a document's first row, its
 * continuation rows, and the transactions that create or replace them.
 */
import { odata, type TableClient, type TableEntity, type TableEntityResult, TableTransaction } from "@azure/data-tables";
import { isEntityNotFound } from "./storage-errors.js";
import { type Address, continuationKeys, etagOf, HEAD_PROPERTIES, type Head, parseHead, type Row } from "./table-rows.js";

export async function readRow(client: TableClient, address: Address, select?: string[]): Promise<TableEntityResult<Row> | undefined> {
  try {
    return await client.getEntity<Row>(address.partitionKey, address.rowKey, select ? { queryOptions: { select } } : {});
  } catch (error) {
    if (isEntityNotFound(error)) return undefined;
    throw error;
  }
}

export async function readHead(client: TableClient, address: Address, where: string): Promise<Head | undefined> {
  const first = await readRow(client, address, HEAD_PROPERTIES);
  return first && parseHead(first, where);
}

export async function continuationRows(client: TableClient, address: Address, version: string, select?: string[]): Promise<TableEntityResult<Row>[]> {
  const prefix = `${address.rowKey}~${version}~`;
  const rows: TableEntityResult<Row>[] = [];
  const filter = odata`PartitionKey eq ${address.partitionKey} and RowKey gt ${prefix} and RowKey lt ${`${prefix}~`}`;
  for await (const row of client.listEntities<Row>({ queryOptions: { filter, ...(select ? { select } : {}) } })) rows.push(row);
  return rows;
}

export async function createRows(client: TableClient, rows: TableEntity<Row>[]): Promise<string> {
  const transaction = new TableTransaction();
  for (const row of rows) transaction.createEntity(row);
  return etagOf((await client.submitTransaction(transaction.actions)).subResponses[0]?.etag);
}

export async function replaceRows(client: TableClient, rows: TableEntity<Row>[], head: Head): Promise<string> {
  const [first, ...rest] = rows as [TableEntity<Row>, ...TableEntity<Row>[]];
  const transaction = new TableTransaction();
  transaction.updateEntity(first, "Replace", { etag: head.etag });
  for (const row of rest) transaction.createEntity(row);
  for (const rowKey of await oldContinuationKeys(client, first, head)) transaction.deleteEntity(first.partitionKey, rowKey);
  return etagOf((await client.submitTransaction(transaction.actions)).subResponses[0]?.etag);
}

/**
 * The continuation rows a replace or delete of `head` must remove: all of
 * its version's, or when some are missing (a damaged document) those still
 * there, so that writing or deleting repairs it. If the version was
 * replaced meanwhile, the transaction fails on the first row's ETag or on a
 * row that is gone, and the caller reads again.
 */
export async function oldContinuationKeys(client: TableClient, address: Address, head: Head): Promise<string[]> {
  if (head.rows === 1) return [];
  const present = (await continuationRows(client, address, head.version, ["RowKey"])).map((row) => row.rowKey);
  const expected = continuationKeys(address.rowKey, head);
  return present.length === expected.length ? expected : expected.filter((key) => present.includes(key));
}
