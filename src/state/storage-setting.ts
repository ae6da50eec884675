/**
 * Choosing the state store: Table and Blob Storage from the Functions host's
 * `AzureWebJobsStorage` settings (a connection string, or the identity-based
 * `AzureWebJobsStorage__*` form), else the CLI's local state directory.
 * Nothing here loads an Azure SDK.
 */
import { InputError, type InputLocation } from "../errors.js";

export type StorageSetting =
  | { kind: "directory"; dir: string }
  /** The connection string also reaches Blob Storage: it names BlobEndpoint, or an account the endpoint derives from. */
  | { kind: "table"; connectionString: string; tableName?: string }
  | { kind: "table"; endpoint: string; blobEndpoint: string; tableName?: string; managedIdentityClientId?: string };

export const DEFAULT_TABLE_NAME = "mailflowguard";

const SOURCE = "app settings";

/**
 * The storage the environment asks for, in the host's order: a connection
 * string, then identity-based service URLs or an account name (the table
 * holds the records, Blob Storage the reports and large inventories); without
 * any, `fallbackDir` when given.
 *
 * @example storageSettingFromEnv({ AzureWebJobsStorage: "UseDevelopmentStorage=true" })
 * // { kind: "table", connectionString: "UseDevelopmentStorage=true", tableName: "mailflowguard" }
 */
export function storageSettingFromEnv(env: NodeJS.ProcessEnv, fallbackDir?: string): StorageSetting {
  const setting = (name: string) => env[name]?.trim() || undefined;
  const tableName = checkTableName(setting("MAILFLOW_GUARD_TABLE") ?? DEFAULT_TABLE_NAME, { source: SOURCE, path: "MAILFLOW_GUARD_TABLE" });

  const connectionString = setting("AzureWebJobsStorage");
  if (connectionString) return { kind: "table", connectionString, tableName };

  const managedIdentityClientId = setting("AzureWebJobsStorage__clientId");
  const identity = managedIdentityClientId ? { managedIdentityClientId } : {};
  const accountName = setting("AzureWebJobsStorage__accountName");
  if (accountName !== undefined && !/^[a-z0-9]{3,24}$/.test(accountName)) {
    throw new InputError(`${JSON.stringify(accountName)} is not a storage account name; expected 3–24 lower-case letters and digits`, {
      source: SOURCE,
      path: "AzureWebJobsStorage__accountName",
    });
  }
  const endpoint = serviceUri(setting, "table", accountName);
  const blobEndpoint = serviceUri(setting, "blob", accountName);
  if (endpoint && blobEndpoint) return { kind: "table", endpoint, blobEndpoint, tableName, ...identity };
  if (endpoint || blobEndpoint) {
    const [missing, given] = endpoint ? (["blob", "table"] as const) : (["table", "blob"] as const);
    throw new InputError(`expected the ${missing} service URL beside ${SERVICE_URIS[given]}, e.g. https://<account>.${missing}.core.windows.net`, {
      source: SOURCE,
      path: SERVICE_URIS[missing],
    });
  }

  if (fallbackDir !== undefined) return { kind: "directory", dir: fallbackDir };
  throw new InputError(
    `no state storage configured; set AzureWebJobsStorage (a connection string), or ${SERVICE_URIS.table} and ${SERVICE_URIS.blob}, ` +
      "or AzureWebJobsStorage__accountName (with a managed identity)",
    { source: SOURCE },
  );
}

/** The identity-based settings of the services the store uses, spelled out so that a search for setting names finds them. */
const SERVICE_URIS = { table: "AzureWebJobsStorage__tableServiceUri", blob: "AzureWebJobsStorage__blobServiceUri" } as const;

/** The service's URL setting, else the account's endpoint; undefined when neither is set. */
function serviceUri(
  setting: (name: string) => string | undefined,
  service: keyof typeof SERVICE_URIS,
  accountName: string | undefined,
): string | undefined {
  const uri = setting(SERVICE_URIS[service]);
  if (uri === undefined) return accountName && `https://${accountName}.${service}.core.windows.net`;
  if (!URL.canParse(uri)) {
    throw new InputError(`expected the ${service} service URL, e.g. https://<account>.${service}.core.windows.net`, {
      source: SOURCE,
      path: SERVICE_URIS[service],
    });
  }
  return uri;
}

export function checkTableName(name: string, location: InputLocation): string {
  if (!/^[A-Za-z][A-Za-z0-9]{2,62}$/.test(name)) {
    throw new InputError(`${JSON.stringify(name)} is not a table name; expected 3–63 letters and digits, starting with a letter`, location);
  }
  return name;
}
