import { randomBytes } from "node:crypto";
import { TableClient } from "@azure/data-tables";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { inject } from "vitest";
import { CONTAINER_NAME } from "../../src/state/open.js";
import { TableStateStore } from "../../src/state/table-store.js";

/**
 * A table name no other test file uses, so files can run in parallel against
 * one Azurite. Azure table names are 3–63 letters and digits, starting with a letter.
 */
export function uniqueTableName(prefix = "test"): string {
  if (!/^[A-Za-z][A-Za-z0-9]{0,39}$/.test(prefix)) {
    throw new Error(`table name prefix ${JSON.stringify(prefix)} must be 1–40 letters and digits, starting with a letter`);
  }
  return `${prefix}${Date.now().toString(36)}${randomBytes(6).toString("hex")}`;
}

export function azuriteTable(tableName = uniqueTableName()): TableClient {
  return TableClient.fromConnectionString(inject("azuriteConnectionString"), tableName, { allowInsecureConnection: true });
}

/** The container all stores share, as the app's do: each table's blobs are named under the table. */
export function azuriteContainer(): ContainerClient {
  return BlobServiceClient.fromConnectionString(inject("azuriteConnectionString")).getContainerClient(CONTAINER_NAME);
}

/** A Table store on Azurite as the app opens one, with Blob Storage, in a table of its own. */
export function azuriteStore(prefix = "test"): TableStateStore {
  return new TableStateStore(azuriteTable(uniqueTableName(prefix)), azuriteContainer());
}
