/**
 * Choosing the state store: Table Storage from the Functions host's
 * `AzureWebJobsStorage` settings (a connection string, or the identity-based
 * `AzureWebJobsStorage__*` form), else the CLI's local state directory.
 * Nothing here loads an Azure SDK.
 */
import { InputError, type InputLocation } from "../errors.js";

export type StorageSetting =
  | { kind: "directory"; dir: string }
  | { kind: "table"; connectionString: string; tableName?: string }
  | { kind: "table"; endpoint: string; tableName?: string; managedIdentityClientId?: string };

export const DEFAULT_TABLE_NAME = "mailflowguard";

const SOURCE = "app settings";

/**
 * The storage the environment asks for, in the host's order: a connection
 * string, then an identity-based table endpoint or account name; without any,
 * `fallbackDir` when given.
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
  const serviceUri = setting("AzureWebJobsStorage__tableServiceUri");
  if (serviceUri) {
    if (!URL.canParse(serviceUri)) {
      throw new InputError("expected the table service URL, e.g. https://<account>.table.core.windows.net", {
        source: SOURCE,
        path: "AzureWebJobsStorage__tableServiceUri",
      });
    }
    return { kind: "table", endpoint: serviceUri, tableName, ...identity };
  }
  const accountName = setting("AzureWebJobsStorage__accountName");
  if (accountName) {
    if (!/^[a-z0-9]{3,24}$/.test(accountName)) {
      throw new InputError(`${JSON.stringify(accountName)} is not a storage account name; expected 3–24 lower-case letters and digits`, {
        source: SOURCE,
        path: "AzureWebJobsStorage__accountName",
      });
    }
    return { kind: "table", endpoint: `https://${accountName}.table.core.windows.net`, tableName, ...identity };
  }

  if (fallbackDir !== undefined) return { kind: "directory", dir: fallbackDir };
  throw new InputError(
    "no state storage configured; set AzureWebJobsStorage (a connection string), or AzureWebJobsStorage__tableServiceUri or " +
      "AzureWebJobsStorage__accountName (with a managed identity)",
    { source: SOURCE },
  );
}

export function checkTableName(name: string, location: InputLocation): string {
  if (!/^[A-Za-z][A-Za-z0-9]{2,62}$/.test(name)) {
    throw new InputError(`${JSON.stringify(name)} is not a table name; expected 3–63 letters and digits, starting with a letter`, location);
  }
  return name;
}
