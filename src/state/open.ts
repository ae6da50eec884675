/**
 * Opening Table Storage: the Azure SDKs are loaded only through this module,
 * which the CLI imports only when a table is configured.
 */
import { TableClient } from "@azure/data-tables";
import { DefaultAzureCredential } from "@azure/identity";
import { InputError } from "../errors.js";
import { FileStateStore } from "./file-store.js";
import { checkTableName, DEFAULT_TABLE_NAME, type StorageSetting } from "./storage-setting.js";
import type { StateStore } from "./store.js";
import { TableStateStore } from "./table-store.js";

/** Builds the store; nothing is contacted until the first read or write. */
export function openStateStore(setting: StorageSetting): StateStore {
  if (setting.kind === "directory") return new FileStateStore(setting.dir);
  // Checked here too: a setting can come from the command line, not only from storageSettingFromEnv.
  const tableName = checkTableName(setting.tableName ?? DEFAULT_TABLE_NAME, { source: "the table name" });
  if ("connectionString" in setting) return new TableStateStore(clientFromConnectionString(setting.connectionString, tableName));
  const credential = new DefaultAzureCredential(setting.managedIdentityClientId ? { managedIdentityClientId: setting.managedIdentityClientId } : {});
  return new TableStateStore(new TableClient(setting.endpoint, tableName, credential, { allowInsecureConnection: isHttp(setting.endpoint) }));
}

function clientFromConnectionString(connectionString: string, tableName: string): TableClient {
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

function isHttp(url: string): boolean {
  return url.toLowerCase().startsWith("http:");
}
