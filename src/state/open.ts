/**
 * Opening Table and Blob Storage: the Azure SDKs are loaded only through this
 * module, which the CLI imports only when a table is configured.
 */
import { TableClient } from "@azure/data-tables";
import { DefaultAzureCredential } from "@azure/identity";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { InputError } from "../errors.js";
import { FileStateStore } from "./file-store.js";
import { checkTableName, DEFAULT_TABLE_NAME, type StorageSetting } from "./storage-setting.js";
import type { StateStore } from "./store.js";
import { TableStateStore } from "./table-store.js";

/** The container of every table's blobs; their names start with the table's name. */
export const CONTAINER_NAME = "mailflow-guard";

/** Builds the store; nothing is contacted until the first read or write. */
export function openStateStore(setting: StorageSetting): StateStore {
  if (setting.kind === "directory") return new FileStateStore(setting.dir);
  // Checked here too: a setting can come from the command line, not only from storageSettingFromEnv.
  const tableName = checkTableName(setting.tableName ?? DEFAULT_TABLE_NAME, { source: "the table name" });
  if ("connectionString" in setting) {
    return new TableStateStore(
      tableFromConnectionString(setting.connectionString, tableName),
      containerFromConnectionString(setting.connectionString),
    );
  }
  const credential = new DefaultAzureCredential(setting.managedIdentityClientId ? { managedIdentityClientId: setting.managedIdentityClientId } : {});
  const table = new TableClient(setting.endpoint, tableName, credential, { allowInsecureConnection: isHttp(setting.endpoint) });
  return new TableStateStore(table, new BlobServiceClient(setting.blobEndpoint, credential).getContainerClient(CONTAINER_NAME));
}

function tableFromConnectionString(connectionString: string, tableName: string): TableClient {
  let client: TableClient;
  try {
    client = TableClient.fromConnectionString(connectionString, tableName);
  } catch {
    // The parser's message may quote parts of the string, so neither it nor the cause is kept.
    throw new InputError(
      "the storage connection string is not valid; expected AccountName=…;AccountKey=…, a SAS connection string or UseDevelopmentStorage=true",
    );
  }
  // An explicit http endpoint (Azurite) needs the SDK's consent; https stays the default.
  return isHttp(client.url) ? TableClient.fromConnectionString(connectionString, tableName, { allowInsecureConnection: true }) : client;
}

function containerFromConnectionString(connectionString: string): ContainerClient {
  try {
    return BlobServiceClient.fromConnectionString(connectionString).getContainerClient(CONTAINER_NAME);
  } catch {
    // As above: the parser's message is not repeated. A SAS string without BlobEndpoint is the usual cause.
    throw new InputError(
      "the storage connection string (AzureWebJobsStorage or --storage) reaches no Blob Storage, where reports and large inventories are kept; " +
        "add BlobEndpoint=https://<account>.blob.core.windows.net/",
    );
  }
}

function isHttp(url: string): boolean {
  return url.toLowerCase().startsWith("http:");
}
