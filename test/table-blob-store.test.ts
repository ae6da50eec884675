/** The Table store's blob side and partitions on Azurite, seen from the table and the container directly. */
import { RestError, TableClient } from "@azure/data-tables";
import { BlobClient } from "@azure/storage-blob";
import { afterEach, describe, expect, it, vi } from "vitest";
import { StateStoreError } from "../src/errors.js";
import { TableStateStore } from "../src/state/table-store.js";
import { azuriteContainer, azuriteTable, uniqueTableName } from "./support/tables.js";

const container = azuriteContainer();

afterEach(() => {
  vi.restoreAllMocks();
});

function open(): { store: TableStateStore; table: TableClient } {
  const table = azuriteTable(uniqueTableName("blobs"));
  return { store: new TableStateStore(table, container), table };
}

async function blobNames(table: TableClient): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat({ prefix: `${table.tableName}/` })) names.push(blob.name);
  return names.sort();
}

async function rows(table: TableClient): Promise<Record<string, unknown>[]> {
  const all: Record<string, unknown>[] = [];
  for await (const row of table.listEntities<Record<string, unknown>>()) all.push(row);
  return all;
}

/** Valid JSON of about `size` bytes. */
function large(size: number): { text: string } {
  return { text: "x".repeat(size) };
}

describe("TableStateStore with Blob Storage", () => {
  it("keeps reports and inventories in a blob named by table, kind and key that the row points to, and small records in rows", async () => {
    const { store, table } = open();
    await store.put("report", "contoso.com/run-1", { artifacts: { "report.md": "# report\n" } });
    await store.put("inventory", "contoso.com", { tenant: "contoso.com" });
    await store.put("feed", "Worldwide", { version: "2026010100" });

    const t = table.tableName;
    expect(await blobNames(table)).toEqual([
      expect.stringMatching(new RegExp(`^${t}/inventory/contoso\\.com~[0-9a-f]{16}$`)),
      expect.stringMatching(new RegExp(`^${t}/report/contoso\\.com%2Frun-1~[0-9a-f]{16}$`)),
    ]);
    const byKind = Object.fromEntries((await rows(table)).map((row) => [String(row.partitionKey).split("|")[0], row]));
    expect(byKind.report).toMatchObject({ blob: expect.stringContaining("/report/"), bytes: expect.any(Number), sha256: expect.any(String) });
    expect(byKind.report).not.toHaveProperty("c00");
    expect(byKind.feed).toMatchObject({ c00: '{"version":"2026010100"}', rows: 1, chunks: 1 });
    expect(byKind.feed).not.toHaveProperty("blob");
    expect((await store.get("report", "contoso.com/run-1"))?.value).toEqual({ artifacts: { "report.md": "# report\n" } });
  });

  it("keeps a document of any kind in a blob when it is too large for rows, and in rows again when it shrinks", async () => {
    const { store, table } = open();
    const value = large(5_000_000);
    await store.put("finding-state", "contoso.com", value);
    expect(await blobNames(table)).toHaveLength(1);
    expect((await store.get("finding-state", "contoso.com"))?.value).toEqual(value);
    await store.put("finding-state", "contoso.com", { small: true });
    expect(await blobNames(table)).toEqual([]);
    expect(await rows(table)).toEqual([expect.objectContaining({ c00: '{"small":true}' })]);
  });

  it("deletes the replaced version's blob after each write, and the blob with its document", async () => {
    const { store, table } = open();
    await store.put("report", "t/r1", large(1_000));
    const [first] = await blobNames(table);
    await store.put("report", "t/r1", large(2_000));
    const [second] = await blobNames(table);
    expect(second).not.toBe(first);
    expect(await blobNames(table)).toEqual([second]);
    expect(await store.delete("report", "t/r1")).toBe(true);
    expect(await blobNames(table)).toEqual([]);
    expect(await rows(table)).toEqual([]);
  });

  it("leaves only the winner's blob when conditional writers lose or unconditional ones race", async () => {
    const { store, table } = open();
    const etag = await store.put("inventory", "t", large(1_000));
    const current = await store.put("inventory", "t", large(2_000), { ifMatch: etag });
    await expect(store.put("inventory", "t", large(3_000), { ifMatch: etag })).rejects.toThrow(/changed by another writer/);
    await expect(store.put("inventory", "t", large(3_000), { ifNoneMatch: "*" })).rejects.toThrow(/already exists/);
    await Promise.all(Array.from({ length: 5 }, (_, n) => store.put("report", "t/r1", { n })));

    const names = await blobNames(table);
    expect(names).toHaveLength(2);
    expect((await store.get("inventory", "t"))?.etag).toBe(current);
    expect(names.filter((name) => name.includes("/inventory/"))).toHaveLength(1);
  });

  it("keeps the blob of a write that timed out, for the write may still land: the document it lands is whole", async () => {
    const { store, table } = open();
    await store.put("inventory", "t", large(1_000));
    let landed!: Promise<unknown>;
    for (const method of ["createEntity", "updateEntity", "upsertEntity", "submitTransaction"] as const) {
      const original = table[method].bind(table) as (...args: unknown[]) => Promise<unknown>;
      vi.spyOn(table, method).mockImplementationOnce((...args: unknown[]) => {
        // The request is on its way and lands later; the client gave up waiting for the answer.
        landed = new Promise((resolve) => setTimeout(resolve, 150)).then(() => original(...args));
        return Promise.reject(new RestError("the operation timed out", { code: "REQUEST_SEND_ERROR" }));
      });
    }
    await expect(store.put("inventory", "t", large(2_000))).rejects.toThrow(StateStoreError);
    await landed;
    vi.restoreAllMocks();
    const value = (await store.get("inventory", "t"))?.value as { text: string };
    expect(value.text).toHaveLength(2_000);
    // The replaced version's blob, which the writer that gave up never deleted, goes with the daily cleanup.
    expect((await blobNames(table)).filter((name) => name.includes("/inventory/"))).toHaveLength(2);
    expect(await store.removeLeftovers(new Date(Date.now() + 60_000))).toBe(1);
    expect((await store.get("inventory", "t"))?.value).toEqual(large(2_000));
  });

  it("reads the new version when a writer replaces the document between the read of its row and of its blob", async () => {
    const { store } = open();
    await store.put("report", "t/r1", { version: 1 });
    const download = BlobClient.prototype.download;
    const spy = vi.spyOn(BlobClient.prototype, "download").mockImplementationOnce(async function (this: BlobClient, ...args) {
      await store.put("report", "t/r1", { version: 2 }); // deletes the blob this read is about to fetch
      return download.apply(this, args);
    });
    expect((await store.get("report", "t/r1"))?.value).toEqual({ version: 2 });
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it("reads no document when a deleter removes it between the read of its row and of its blob", async () => {
    const { store } = open();
    await store.put("report", "t/r1", { version: 1 });
    const download = BlobClient.prototype.download;
    vi.spyOn(BlobClient.prototype, "download").mockImplementationOnce(async function (this: BlobClient, ...args) {
      await store.delete("report", "t/r1");
      return download.apply(this, args);
    });
    expect(await store.get("report", "t/r1")).toBeUndefined();
  });

  it.each([
    ["fails", 500],
    ["is retried after a lost race", 412],
  ])("keeps the blob of a write that landed although its answer was lost and the write %s", async (_, statusCode) => {
    const { store } = open();
    await store.put("report", "t/r1", { version: 1 });
    const submit = TableClient.prototype.submitTransaction;
    vi.spyOn(TableClient.prototype, "submitTransaction").mockImplementationOnce(async function (this: TableClient, ...args) {
      await submit.apply(this, args);
      throw new RestError("the answer was lost", { statusCode });
    });
    await store.put("report", "t/r1", { version: 2 }).catch(() => undefined);
    expect((await store.get("report", "t/r1"))?.value).toEqual({ version: 2 });
  });

  it("reports a document whose blob is gone once reading its row again shows no writer, and is repaired by writing or deleting it", async () => {
    const { store, table } = open();
    await store.put("report", "t/r1", { n: 1 });
    await store.put("report", "t/r2", { n: 2 });
    for (const name of await blobNames(table)) await container.deleteBlob(name);
    const error = await store.get("report", "t/r1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateStoreError);
    expect((error as Error).message).toMatch(/^report "t\/r1" in Table Storage is incomplete: its blob is missing; write or delete it to repair$/);

    await store.put("report", "t/r1", { repaired: true });
    expect((await store.get("report", "t/r1"))?.value).toEqual({ repaired: true });
    expect(await store.delete("report", "t/r2")).toBe(true);
    expect(await store.list("report")).toEqual(["t/r1"]);
  });

  it("reports a blob that does not hold what its row describes", async () => {
    const { store, table } = open();
    await store.put("inventory", "t", { n: 1 });
    const [name] = await blobNames(table);
    const block = container.getBlockBlobClient(name!);
    await block.upload('{"n":2}', 7);
    await expect(store.get("inventory", "t")).rejects.toThrow(/^inventory "t" is damaged: its blob does not hold the 7 bytes its row describes$/);
    // Shorter than the row says.
    await block.upload("{}", 2);
    await expect(store.get("inventory", "t")).rejects.toThrow(/is damaged: its blob does not hold/);
  });

  it("removes blobs no row points to once they are older than asked, and nothing else", async () => {
    const { store, table } = open();
    await store.put("report", "t/r1", { n: 1 });
    await store.put("inventory", "t", { n: 1 });
    const live = await blobNames(table);
    // What a writer that stopped between its blob and its row leaves, beside names the store does not make and another table's blob.
    const orphan = `${table.tableName}/report/t%2Fr2~0123456789abcdef`;
    const foreign = [`${table.tableName}/notes/readme`, `${uniqueTableName("other")}/report/t%2Fr1~0123456789abcdef`];
    for (const name of [orphan, ...foreign]) await container.getBlockBlobClient(name).upload("{}", 2);

    expect(await store.removeLeftovers(new Date(Date.now() - 24 * 3600_000))).toBe(0);
    expect(await store.removeLeftovers(new Date(Date.now() + 60_000))).toBe(1);
    expect(await blobNames(table)).toEqual([...live, foreign[0]].sort());
    expect(await container.getBlobClient(foreign[1]!).exists()).toBe(true);
    expect((await store.get("report", "t/r1"))?.value).toEqual({ n: 1 });
    expect(await new TableStateStore(azuriteTable()).removeLeftovers(new Date())).toBe(0);
  });

  it("refuses to read a document kept in a blob through a store opened without Blob Storage", async () => {
    const { store, table } = open();
    await store.put("report", "t/r1", { n: 1 });
    await expect(new TableStateStore(table).get("report", "t/r1")).rejects.toThrow(
      /^report "t\/r1" is kept in Blob Storage, which this store was opened without$/,
    );
  });
});

describe("TableStateStore partitions", () => {
  it("spreads documents by kind and the key's first segment, and lists by prefix within and across them", async () => {
    const { store, table } = open();
    const keys = {
      report: ["contoso.com/run-1", "contoso.com/run-2", "fabrikam.com/run-1"],
      "run-tenant": ["run-1/contoso.com", "run-1/fabrikam.com", "run-10/contoso.com"],
      alert: ["contoso.com/digest/2026-12-01T00:00:00.000Z", "contoso.com/run-1"],
      "alert-config": ["contoso.com"],
    } as const;
    for (const [kind, list] of Object.entries(keys)) for (const key of list) await store.put(kind as keyof typeof keys, key, { key });

    const partitions = new Set((await rows(table)).map((row) => row.partitionKey));
    expect([...partitions].sort()).toEqual([
      "alert-config|contoso.com",
      "alert|contoso.com",
      "report|contoso.com",
      "report|fabrikam.com",
      "run-tenant|run-1",
      "run-tenant|run-10",
    ]);
    expect(await store.list("report", { prefix: "contoso.com/" })).toEqual(["contoso.com/run-1", "contoso.com/run-2"]);
    expect(await store.list("run-tenant", { prefix: "run-1/" })).toEqual(["run-1/contoso.com", "run-1/fabrikam.com"]);
    expect(await store.list("run-tenant", { prefix: "run-1" })).toEqual([...keys["run-tenant"]]);
    expect(await store.list("alert", { prefix: "contoso.com/digest/" })).toEqual([keys.alert[0]]);
    // "alert" and "alert-config" share the start of their name, not their documents.
    expect(await store.list("alert")).toEqual([...keys.alert]);
    expect(await store.list("alert-config", { prefix: "" })).toEqual(["contoso.com"]);
  });
});
