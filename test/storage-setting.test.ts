/** Choosing and opening the state store from settings; the stores themselves are in state-store.contract.test.ts. */
import { describe, expect, inject, it } from "vitest";
import { InputError } from "../src/errors.js";
import { FileStateStore } from "../src/state/file-store.js";
import { openStateStore } from "../src/state/open.js";
import { storageSettingFromEnv } from "../src/state/storage-setting.js";
import { TableStateStore } from "../src/state/table-store.js";
import { azuriteContainer, uniqueTableName } from "./support/tables.js";

const connectionString = inject("azuriteConnectionString");
const accountKey = /AccountKey=([^;]+)/.exec(connectionString)?.[1] ?? "";

describe("storageSettingFromEnv", () => {
  it("takes the AzureWebJobsStorage connection string, with the default table", () => {
    expect(storageSettingFromEnv({ AzureWebJobsStorage: "UseDevelopmentStorage=true" })).toEqual({
      kind: "table",
      connectionString: "UseDevelopmentStorage=true",
      tableName: "mailflowguard",
    });
  });

  it("takes the identity-based table and blob endpoints with the managed identity's client id", () => {
    const env = {
      AzureWebJobsStorage__tableServiceUri: "https://acct.table.core.windows.net",
      AzureWebJobsStorage__blobServiceUri: "https://acct.blob.core.windows.net",
      AzureWebJobsStorage__clientId: "00000000-0000-0000-0000-000000000001",
      MAILFLOW_GUARD_TABLE: "guardstate",
    };
    expect(storageSettingFromEnv(env)).toEqual({
      kind: "table",
      endpoint: "https://acct.table.core.windows.net",
      blobEndpoint: "https://acct.blob.core.windows.net",
      tableName: "guardstate",
      managedIdentityClientId: "00000000-0000-0000-0000-000000000001",
    });
  });

  it("derives the endpoints from the account name, unless a service URL is given", () => {
    expect(storageSettingFromEnv({ AzureWebJobsStorage__accountName: "acct" })).toEqual({
      kind: "table",
      endpoint: "https://acct.table.core.windows.net",
      blobEndpoint: "https://acct.blob.core.windows.net",
      tableName: "mailflowguard",
    });
    const env = { AzureWebJobsStorage__accountName: "acct", AzureWebJobsStorage__blobServiceUri: "https://blobs.example" };
    expect(storageSettingFromEnv(env)).toMatchObject({ endpoint: "https://acct.table.core.windows.net", blobEndpoint: "https://blobs.example" });
  });

  it("names the other service URL when only one is given", () => {
    for (const [given, missing] of [
      ["AzureWebJobsStorage__tableServiceUri", "AzureWebJobsStorage__blobServiceUri"],
      ["AzureWebJobsStorage__blobServiceUri", "AzureWebJobsStorage__tableServiceUri"],
    ]) {
      const call = () => storageSettingFromEnv({ [given!]: "https://acct.core.windows.net" }, "/state");
      expect(call).toThrow(InputError);
      expect(call).toThrow(new RegExp(`^app settings: ${missing}: expected the \\w+ service URL beside ${given}, e\\.g\\. https://`));
    }
  });

  it("prefers the connection string to identity-based settings", () => {
    const setting = storageSettingFromEnv({ AzureWebJobsStorage: "UseDevelopmentStorage=true", AzureWebJobsStorage__accountName: "acct" });
    expect(setting).toMatchObject({ connectionString: "UseDevelopmentStorage=true" });
  });

  it("falls back to the directory, treating empty settings as unset", () => {
    expect(storageSettingFromEnv({ AzureWebJobsStorage: " " }, "/state")).toEqual({ kind: "directory", dir: "/state" });
  });

  it("names the expected settings when there is no storage and no fallback", () => {
    expect(() => storageSettingFromEnv({})).toThrow(InputError);
    expect(() => storageSettingFromEnv({})).toThrow(
      /AzureWebJobsStorage.*AzureWebJobsStorage__tableServiceUri and AzureWebJobsStorage__blobServiceUri.*AzureWebJobsStorage__accountName/,
    );
  });

  it("refuses malformed settings, naming them", () => {
    expect(() => storageSettingFromEnv({ AzureWebJobsStorage: "UseDevelopmentStorage=true", MAILFLOW_GUARD_TABLE: "state-table" })).toThrow(
      /MAILFLOW_GUARD_TABLE/,
    );
    expect(() => storageSettingFromEnv({ AzureWebJobsStorage__tableServiceUri: "acct.table" })).toThrow(/AzureWebJobsStorage__tableServiceUri/);
    expect(() => storageSettingFromEnv({ AzureWebJobsStorage__accountName: "acct", AzureWebJobsStorage__blobServiceUri: "acct.blob" })).toThrow(
      /^app settings: AzureWebJobsStorage__blobServiceUri: expected the blob service URL/,
    );
    expect(() => storageSettingFromEnv({ AzureWebJobsStorage__accountName: "My_Account" })).toThrow(/AzureWebJobsStorage__accountName/);
  });
});

describe("openStateStore", () => {
  it("opens the local state directory", () => {
    const store = openStateStore({ kind: "directory", dir: "/state" });
    expect(store).toBeInstanceOf(FileStateStore);
    expect(store.description).toBe("local state directory /state");
  });

  it("opens Table and Blob Storage from a connection string, over http for Azurite", async () => {
    const tableName = uniqueTableName();
    const store = openStateStore({ kind: "table", connectionString, tableName });
    expect(store).toBeInstanceOf(TableStateStore);
    expect(store.description).not.toContain(accountKey);
    const etag = await store.put("installation", "self", { ok: true });
    expect(await store.get("installation", "self")).toEqual({ value: { ok: true }, etag });
    // A report goes to the blob container, under the table's name.
    await store.put("report", "t/r1", { artifacts: {} });
    const blobs: string[] = [];
    for await (const blob of azuriteContainer().listBlobsFlat({ prefix: `${tableName}/` })) blobs.push(blob.name);
    expect(blobs).toEqual([expect.stringMatching(new RegExp(`^${tableName}/report/t%2Fr1~[0-9a-f]{16}$`))]);
  });

  it("understands UseDevelopmentStorage=true without contacting it", () => {
    expect(openStateStore({ kind: "table", connectionString: "UseDevelopmentStorage=true" }).description).toBe(
      "Table Storage http://127.0.0.1:10002/devstoreaccount1/mailflowguard",
    );
  });

  it("opens Table Storage by endpoint with a managed identity, without contacting Azure", () => {
    const store = openStateStore({
      kind: "table",
      endpoint: "https://acct.table.core.windows.net",
      blobEndpoint: "https://acct.blob.core.windows.net",
      managedIdentityClientId: "00000000-0000-0000-0000-000000000001",
    });
    expect(store).toBeInstanceOf(TableStateStore);
    expect(store.description).toBe("Table Storage https://acct.table.core.windows.net/mailflowguard");
  });

  it("refuses a malformed connection string without repeating it", () => {
    const secret = "AccountName=acct;AccountKey=c2VjcmV0;Bogus";
    let error: unknown;
    try {
      openStateStore({ kind: "table", connectionString: secret });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).not.toContain("c2VjcmV0");
  });

  it("refuses a malformed table name given directly", () => {
    expect(() => openStateStore({ kind: "table", connectionString, tableName: "state-table" })).toThrow(InputError);
  });

  it("keeps a SAS token out of the description", () => {
    const sas =
      "TableEndpoint=https://acct.table.core.windows.net/;BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=sv=2024-01-01&sig=c2VjcmV0";
    const store = openStateStore({ kind: "table", connectionString: sas, tableName: "guardstate" });
    expect(store.description).toBe("Table Storage https://acct.table.core.windows.net/guardstate");
  });

  it("refuses a connection string that reaches no Blob Storage, in one line naming the setting, without repeating it", () => {
    const sas = "TableEndpoint=https://acct.table.core.windows.net/;SharedAccessSignature=sv=2024-01-01&sig=c2VjcmV0";
    let error: unknown;
    try {
      openStateStore({ kind: "table", connectionString: sas });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(
      /^the storage connection string \(AzureWebJobsStorage or --storage\) reaches no Blob Storage.*BlobEndpoint=/,
    );
    expect((error as Error).message).not.toMatch(/c2VjcmV0|[\r\n]/);
  });
});
