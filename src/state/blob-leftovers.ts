/**
 * Blobs that writes cut short left behind. A writer puts its blob before the
 * row that points to it and deletes the replaced version's blob after that
 * row; one that stops in between (a crash, a lost connection, a timeout)
 * leaves a blob no row points to, which nobody reads. The daily pruning
 * deletes those once they are older than any write in progress can be.
 */
import type { TableClient } from "@azure/data-tables";
import type { BlobBodies } from "./blob-store.js";
import { tableFailure } from "./storage-errors.js";
import { blobPrefix, kindOfBlob, listFilter, type Row } from "./table-rows.js";

/** Deletes the table's blobs written before `before` that no row points to; returns how many. */
export async function removeUnusedBlobs(table: TableClient, blobs: BlobBodies, before: Date): Promise<number> {
  // Blobs first: one written before `before` was pointed to, if it ever was, before the rows are read below.
  const old = (await blobs.writtenBefore(blobPrefix(table.tableName), before)).flatMap((name) => {
    const kind = kindOfBlob(table.tableName, name);
    return kind ? [{ name, kind }] : []; // not a name the store makes: not the store's to delete
  });
  if (old.length === 0) return 0;
  const used = new Set<string>();
  try {
    for (const kind of new Set(old.map((blob) => blob.kind))) {
      for await (const row of table.listEntities<Row>({ queryOptions: { filter: listFilter(kind), select: ["blob"] } })) {
        if (typeof row.blob === "string") used.add(row.blob);
      }
    }
  } catch (error) {
    throw tableFailure("could not list the blobs the documents use", error);
  }
  let removed = 0;
  for (const { name } of old) if (!used.has(name) && (await blobs.remove(name, `the leftover blob ${name}`))) removed++;
  return removed;
}
