import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RestError, TableClient } from "@azure/data-tables";
import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import { ConcurrencyError, StateStoreError } from "../src/errors.js";
import { FileStateStore } from "../src/state/file-store.js";
import type { StateStore } from "../src/state/store.js";
import { TableStateStore } from "../src/state/table-store.js";
import { azuriteStore, azuriteTable, uniqueTableName } from "./support/tables.js";

const connectionString = inject("azuriteConnectionString");
const accountKey = /AccountKey=([^;]+)/.exec(connectionString)?.[1] ?? "";

const tempDirs: string[] = [];
afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "mailflow-guard-state-"));
  tempDirs.push(dir);
  return dir;
}

/** Kinds the Table store keeps in rows up to its transaction limit, and always in a blob: large documents of each. */
const LARGE_KINDS = ["finding-state", "inventory"] as const;

/** About `size` characters of JSON, with non-ASCII text and surrogate pairs spread over it so some land on chunk boundaries. */
function bigDocument(size: number): { entries: { id: number; range: string; note: string }[] } {
  const entries = [];
  for (let id = 0, length = 0; length < size; id++) {
    const entry = { id, range: `10.${(id >> 16) & 255}.${(id >> 8) & 255}.${id & 255}/32`, note: `Zoë ✓ 日本 😀 "quoted" \\ ${id}` };
    entries.push(entry);
    length += JSON.stringify(entry).length + 1;
  }
  return { entries };
}

async function outcomes(writes: Promise<unknown>[]): Promise<{ won: number; lost: unknown[] }> {
  const results = await Promise.allSettled(writes);
  const lost = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
  return { won: results.length - lost.length, lost };
}

function stateStoreContract(name: string, open: () => Promise<StateStore>): void {
  describe(`${name}: StateStore contract`, () => {
    let store: StateStore;
    beforeEach(async () => {
      store = await open();
    });

    it("round-trips nested JSON with unicode", async () => {
      const value = {
        tenant: "contoso.onmicrosoft.com",
        names: ["Zoë", "日本語", "😀", "line\nbreak", 'quote " and \\ backslash', "\u2028", "\u2029", "\u0085\u007f"],
        nested: { numbers: [0, -1, 2.5, 1e21], flags: [true, false, null], empty: {}, none: [] },
      };
      const etag = await store.put("installation", "contoso", value);
      expect(await store.get("installation", "contoso")).toEqual({ value, etag });
    });

    it("returns undefined for a missing document and an empty list for an empty kind", async () => {
      expect(await store.get("feed", "Worldwide")).toBeUndefined();
      expect(await store.list("feed")).toEqual([]);
    });

    it("lists keys of awkward characters in ascending order, and only of the kind asked for", async () => {
      const keys = [
        "contoso.onmicrosoft.com",
        "a/b#c?d\\e",
        "%",
        "100%25",
        "with space",
        "Zoë/日本",
        "😀",
        ".hidden",
        "..",
        "~tilde",
        "a~0001",
        "tab\there",
        "Zeta",
        "alpha",
      ];
      for (const key of keys) await store.put("run", key, { key });
      await store.put("report", "other", {});

      expect(await store.list("run")).toEqual([...keys].sort());
      for (const key of keys) expect((await store.get("run", key))?.value).toEqual({ key });
      expect(await store.list("report")).toEqual(["other"]);
    });

    it("overwrites a document with a new ETag", async () => {
      const first = await store.put("feed", "Worldwide", { version: 1 });
      const second = await store.put("feed", "Worldwide", { version: 2 });
      expect(second).not.toBe(first);
      expect(await store.get("feed", "Worldwide")).toEqual({ value: { version: 2 }, etag: second });
      expect(await store.list("feed")).toEqual(["Worldwide"]);
    });

    it("deletes a document once", async () => {
      await store.put("run", "r1", { ok: true });
      expect(await store.delete("run", "r1")).toBe(true);
      expect(await store.get("run", "r1")).toBeUndefined();
      expect(await store.list("run")).toEqual([]);
      expect(await store.delete("run", "r1")).toBe(false);
      expect(await store.delete("run", "never-written")).toBe(false);
    });

    it("writes with ifMatch only while the ETag is current", async () => {
      const first = await store.put("feed", "China", { n: 1 });
      const second = await store.put("feed", "China", { n: 2 }, { ifMatch: first });
      expect(await store.get("feed", "China")).toEqual({ value: { n: 2 }, etag: second });

      await expect(store.put("feed", "China", { n: 3 }, { ifMatch: first })).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(store.put("feed", "USGovDoD", { n: 1 }, { ifMatch: first })).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await store.get("feed", "China")).toEqual({ value: { n: 2 }, etag: second });
      expect(await store.get("feed", "USGovDoD")).toBeUndefined();
    });

    it("deletes with ifMatch only while the ETag is current", async () => {
      const first = await store.put("inventory", "ex01", { n: 1 });
      const second = await store.put("inventory", "ex01", { n: 2 });
      await expect(store.delete("inventory", "ex01", { ifMatch: first })).rejects.toBeInstanceOf(ConcurrencyError);
      expect((await store.get("inventory", "ex01"))?.value).toEqual({ n: 2 });
      expect(await store.delete("inventory", "ex01", { ifMatch: second })).toBe(true);
      expect(await store.get("inventory", "ex01")).toBeUndefined();
    });

    it('creates with ifNoneMatch "*" only when no document exists', async () => {
      const etag = await store.put("installation", "self", { id: "a" }, { ifNoneMatch: "*" });
      await expect(store.put("installation", "self", { id: "b" }, { ifNoneMatch: "*" })).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await store.get("installation", "self")).toEqual({ value: { id: "a" }, etag });

      await store.delete("installation", "self");
      await store.put("installation", "self", { id: "c" }, { ifNoneMatch: "*" });
      expect((await store.get("installation", "self"))?.value).toEqual({ id: "c" });
    });

    it.each(LARGE_KINDS)("round-trips a 2.5 MB %s document exactly", async (kind) => {
      const value = bigDocument(2_500_000);
      const etag = await store.put(kind, "big", value);
      const stored = await store.get(kind, "big");
      expect(stored?.etag).toBe(etag);
      expect(JSON.stringify(stored?.value)).toBe(JSON.stringify(value));
    });

    it("round-trips an 8 MiB report and a 32 MiB inventory, the largest an upload may be, exactly", { timeout: 60_000 }, async () => {
      for (const [kind, size] of [
        ["report", 8 * 1024 * 1024],
        ["inventory", 32 * 1024 * 1024],
      ] as const) {
        const value = bigDocument(size);
        const etag = await store.put(kind, "tenant.example/large", value);
        const stored = await store.get(kind, "tenant.example/large");
        expect(stored?.etag).toBe(etag);
        expect(JSON.stringify(stored?.value)).toBe(JSON.stringify(value));
      }
      expect(await store.list("inventory")).toEqual(["tenant.example/large"]);
    });

    it("writes and deletes a large document only under its conditions", async () => {
      const first = bigDocument(6_000_000);
      const etag = await store.put("report", "t/r1", first, { ifNoneMatch: "*" });
      await expect(store.put("report", "t/r1", { other: true }, { ifNoneMatch: "*" })).rejects.toBeInstanceOf(ConcurrencyError);
      const second = { ...bigDocument(5_000_000), second: true };
      const secondEtag = await store.put("report", "t/r1", second, { ifMatch: etag });
      await expect(store.put("report", "t/r1", first, { ifMatch: etag })).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(store.delete("report", "t/r1", { ifMatch: etag })).rejects.toBeInstanceOf(ConcurrencyError);
      const stored = await store.get("report", "t/r1");
      expect(stored?.etag).toBe(secondEtag);
      expect(JSON.stringify(stored?.value)).toBe(JSON.stringify(second));
      expect(await store.delete("report", "t/r1", { ifMatch: secondEtag })).toBe(true);
      expect(await store.get("report", "t/r1")).toBeUndefined();
    });

    it("keeps a document whole as it grows past what rows hold and shrinks again", async () => {
      const large = bigDocument(5_000_000);
      await store.put("finding-state", "contoso", { small: true });
      await store.put("finding-state", "contoso", large);
      expect(JSON.stringify((await store.get("finding-state", "contoso"))?.value)).toBe(JSON.stringify(large));
      const etag = await store.put("finding-state", "contoso", { small: false });
      expect(await store.get("finding-state", "contoso")).toEqual({ value: { small: false }, etag });
      expect(await store.list("finding-state")).toEqual(["contoso"]);
    });

    it.each(["alert", "report"] as const)(
      "round-trips surrogate pairs and non-ASCII text across every chunk boundary position (%s)",
      async (kind) => {
        // Keys of odd and even length shift the pairs by one UTF-16 unit, so some pair straddles each boundary.
        const values = [{ s: "😀".repeat(70_000) }, { ss: "😀".repeat(70_000) }, { s: "é😀".repeat(50_000) }];
        for (const [i, value] of values.entries()) {
          const etag = await store.put(kind, `pairs${i}`, value);
          expect(await store.get(kind, `pairs${i}`)).toEqual({ value, etag });
        }
      },
    );

    it.each(LARGE_KINDS)("keeps one %s document when it shrinks from many rows to one and grows again", async (kind) => {
      await store.put(kind, "ex01", bigDocument(2_500_000));
      const etag = await store.put(kind, "ex01", { small: true });
      expect(await store.get(kind, "ex01")).toEqual({ value: { small: true }, etag });
      expect(await store.list(kind)).toEqual(["ex01"]);

      const grown = bigDocument(1_000_000);
      await store.put(kind, "ex01", grown, { ifMatch: etag });
      expect((await store.get(kind, "ex01"))?.value).toEqual(grown);
      expect(await store.list(kind)).toEqual(["ex01"]);
    });

    it.each(LARGE_KINDS)("shows readers the old or the new large %s document while it is being replaced, never a mix", async (kind) => {
      // Write n (0 the first) stores versions[n % 3]; each version differs from the one before, in size and rows.
      const versions = [bigDocument(1_200_000), bigDocument(900_000), { small: true }];
      const WRITES = 12;
      const written = (n: number) => versions[n % versions.length];
      await store.put(kind, "ex01", written(0));
      let completed = 0;
      const writer = (async () => {
        for (let n = 1; n <= WRITES; n++) {
          await store.put(kind, "ex01", written(n));
          completed = n;
        }
      })();
      // A read that starts when writes up to `after` have completed and ends when writes up to `before` have
      // may see any of writes after..before+1 (that last one perhaps still in flight), each whole, and nothing else.
      const reads: { value: unknown; after: number; before: number }[] = [];
      while (completed < WRITES) {
        const after = completed;
        const value = (await store.get(kind, "ex01"))?.value;
        reads.push({ value, after, before: completed });
      }
      await writer;

      for (const { value, after, before } of reads) {
        const allowed = Array.from({ length: Math.min(before + 1, WRITES) - after + 1 }, (_, i) => written(after + i));
        expect(allowed, `a read between writes ${after} and ${before + 1}`).toContainEqual(value);
      }
      // The reads overlapped the writes: some ended with writes still to come, and between them they saw the document change.
      expect(reads.some((read) => read.before < WRITES)).toBe(true);
      const texts = versions.map((version) => JSON.stringify(version));
      expect(new Set(reads.map((read) => texts.indexOf(JSON.stringify(read.value)))).size).toBeGreaterThan(1);
    });

    it("lets exactly one of several concurrent ifMatch writers win", async () => {
      const etag = await store.put("feed", "Worldwide", { writer: -1 });
      const { won, lost } = await outcomes(Array.from({ length: 8 }, (_, writer) => store.put("feed", "Worldwide", { writer }, { ifMatch: etag })));
      expect(won).toBe(1);
      for (const error of lost) expect(error).toBeInstanceOf(ConcurrencyError);
      expect((await store.get("feed", "Worldwide"))?.value).not.toEqual({ writer: -1 });
    });

    it.each(LARGE_KINDS)("lets exactly one of several concurrent ifMatch writers of large %s documents win", async (kind) => {
      const etag = await store.put(kind, "ex01", bigDocument(1_500_000));
      const versions = Array.from({ length: 4 }, (_, writer) => ({ writer, ...bigDocument(1_000_000 + writer * 300_000) }));
      const { won, lost } = await outcomes(versions.map((value) => store.put(kind, "ex01", value, { ifMatch: etag })));
      expect(won).toBe(1);
      for (const error of lost) expect(error).toBeInstanceOf(ConcurrencyError);
      const stored = (await store.get(kind, "ex01"))?.value as { writer: number };
      expect(stored).toEqual(versions[stored.writer]);
    });

    it('lets exactly one of several concurrent ifNoneMatch "*" writers win', async () => {
      const { won, lost } = await outcomes(
        Array.from({ length: 8 }, (_, writer) => store.put("installation", "self", { writer }, { ifNoneMatch: "*" })),
      );
      expect(won).toBe(1);
      for (const error of lost) expect(error).toBeInstanceOf(ConcurrencyError);
    });

    it("lets every concurrent unconditional writer finish, the last one winning", async () => {
      await store.put("report", "daily", bigDocument(600_000));
      const values = Array.from({ length: 5 }, (_, writer) => ({ writer }));
      const { won } = await outcomes(values.map((value) => store.put("report", "daily", value)));
      expect(won).toBe(5);
      expect(values).toContainEqual((await store.get("report", "daily"))?.value);
      expect(await store.list("report")).toEqual(["daily"]);
    });

    it("lists more keys than one page of results holds", async () => {
      const keys = Array.from({ length: 1_100 }, (_, i) => `run-${String(i).padStart(4, "0")}`);
      for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((key) => store.put("run", key, { key })));
      expect(await store.list("run")).toEqual(keys);
    });

    it("lists only the keys that start with a prefix, whatever characters the keys hold", async () => {
      const keys = ["r1/a.onmicrosoft.com", "r1/b.onmicrosoft.com", "r1/ü~%#?", "r10/a.onmicrosoft.com", "r1", "r2/a.onmicrosoft.com", "q/x"];
      for (const key of keys) await store.put("run-tenant", key, { key });
      // A multi-row document under the prefix lists once, by its key.
      await store.put("run-tenant", "r1/big", bigDocument(1_200_000));
      expect(await store.list("run-tenant", { prefix: "r1/" })).toEqual(["r1/a.onmicrosoft.com", "r1/b.onmicrosoft.com", "r1/big", "r1/ü~%#?"]);
      expect(await store.list("run-tenant", { prefix: "r1" })).toEqual([
        "r1",
        "r1/a.onmicrosoft.com",
        "r1/b.onmicrosoft.com",
        "r1/big",
        "r1/ü~%#?",
        "r10/a.onmicrosoft.com",
      ]);
      expect(await store.list("run-tenant", { prefix: "nothing" })).toEqual([]);
      expect(await store.list("run", { prefix: "r1/" })).toEqual([]);
    });

    it("refuses keys it cannot store, saying why, and accepts long ordinary ones", async () => {
      const tooLong = "x".repeat(1_100);
      for (const call of [() => store.get("run", tooLong), () => store.put("run", tooLong, {}), () => store.delete("run", tooLong)]) {
        await expect(call()).rejects.toThrow(StateStoreError);
        await expect(call()).rejects.toThrow(/too long.*at most \d+/);
      }
      await expect(store.put("run", "\ud800", {})).rejects.toThrow(/not well-formed Unicode/);
      await expect(store.get("run", "a\udc00b")).rejects.toThrow(/not well-formed Unicode/);
      await expect(store.get("run", "")).rejects.toThrow(/must not be empty/);
      // One line, and the key cut short.
      const message = await store.put("run", tooLong, {}).catch((e: unknown) => (e as Error).message);
      expect(message).not.toContain("\n");
      expect(message.length).toBeLessThan(300);

      const long = "k".repeat(200);
      await store.put("run", long, { long: true });
      expect((await store.get("run", long))?.value).toEqual({ long: true });
      expect(await store.list("run")).toEqual([long]);
    });

    it.each(LARGE_KINDS)("replaces and deletes a large %s document concurrently without leaving a mix", async (kind) => {
      const big = bigDocument(1_200_000);
      const etag = await store.put(kind, "ex01", big);
      const [deleted, written] = await Promise.allSettled([
        store.delete(kind, "ex01", { ifMatch: etag }),
        store.put(kind, "ex01", { small: true }, { ifMatch: etag }),
      ]);
      const winners = [deleted, written].filter((r) => r.status === "fulfilled");
      expect(winners).toHaveLength(1);
      for (const r of [deleted, written]) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(ConcurrencyError);
      const stored = await store.get(kind, "ex01");
      expect(stored?.value).toEqual(written.status === "fulfilled" ? { small: true } : undefined);
      expect(await store.list(kind)).toEqual(stored ? ["ex01"] : []);
    });

    it("refuses an empty key, a value that is not JSON and contradictory conditions", async () => {
      await expect(store.put("run", "", {})).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.put("run", "r1", undefined)).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.put("run", "r1", {}, { ifMatch: "x", ifNoneMatch: "*" })).rejects.toBeInstanceOf(StateStoreError);
      expect(await store.list("run")).toEqual([]);
    });

    it("finds nothing to remove after writes that finished, however old it is told leftovers may be", async () => {
      await store.put("report", "t/r1", bigDocument(200_000));
      await store.put("report", "t/r1", { replaced: true });
      await store.put("inventory", "t", { n: 1 });
      await store.put("finding-state", "t", bigDocument(5_000_000));
      await store.put("run", "r1", { n: 1 });
      await store.delete("run", "r1");
      expect(await store.removeLeftovers(new Date(Date.now() + 60_000))).toBe(0);
      expect((await store.get("report", "t/r1"))?.value).toEqual({ replaced: true });
      expect((await store.get("inventory", "t"))?.value).toEqual({ n: 1 });
      expect(JSON.stringify((await store.get("finding-state", "t"))?.value)).toBe(JSON.stringify(bigDocument(5_000_000)));
    });
  });
}

stateStoreContract("FileStateStore", async () => new FileStateStore(await tempDir()));
stateStoreContract("TableStateStore on Azurite", async () => azuriteStore());

describe("FileStateStore", () => {
  it("names files by encoded keys and never leaves the kind's directory", async () => {
    const dir = await tempDir();
    const store = new FileStateStore(dir);
    for (const key of ["contoso.onmicrosoft.com", ".hidden", "../escape", "a/b c", "Zoë"]) await store.put("installation", key, {});
    expect((await readdir(join(dir, "installation"))).sort()).toEqual(
      ["contoso.onmicrosoft.com.json", "%2Ehidden.json", "%2E.%2Fescape.json", "a%2Fb%20c.json", "Zo%C3%AB.json"].sort(),
    );
    expect(await readdir(dir)).toEqual(["installation"]);
  });

  it("stores { etag, value } per document", async () => {
    const dir = await tempDir();
    const etag = await new FileStateStore(dir).put("feed", "Worldwide", { version: "2026010100" });
    expect(JSON.parse(await readFile(join(dir, "feed", "Worldwide.json"), "utf8"))).toEqual({
      etag,
      key: "Worldwide",
      value: { version: "2026010100" },
    });
  });

  it("reads documents written without the key", async () => {
    const dir = await tempDir();
    await mkdir(join(dir, "feed"));
    await writeFile(join(dir, "feed", "Worldwide.json"), '{"etag":"e1","value":{"n":1}}');
    expect(await new FileStateStore(dir).get("feed", "Worldwide")).toEqual({ etag: "e1", value: { n: 1 } });
  });

  it("refuses a key that shares its file with another key, as on a case-insensitive file system", async () => {
    const dir = await tempDir();
    const store = new FileStateStore(dir);
    await store.put("feed", "Worldwide", { n: 1 });
    // What a case-insensitive file system shows when "worldwide" is asked for: the file of "Worldwide".
    const path = join(dir, "feed", "Worldwide.json");
    const text = await readFile(path, "utf8");
    await writeFile(path, text.replace('"key":"Worldwide"', '"key":"WorldWide"'));
    await expect(store.get("feed", "Worldwide")).rejects.toThrow(/shares .*Worldwide\.json with "WorldWide" on this case-insensitive file system/);
    await expect(store.put("feed", "Worldwide", { n: 2 })).rejects.toThrow(StateStoreError);
    expect(await readFile(path, "utf8")).toContain('"key":"WorldWide"');
  });

  it("names a document that is not valid JSON", async () => {
    const dir = await tempDir();
    await mkdir(join(dir, "feed"));
    const path = join(dir, "feed", "Worldwide.json");
    await writeFile(path, '{"etag":"x","value":{"trunc');
    const store = new FileStateStore(dir);
    await expect(store.get("feed", "Worldwide")).rejects.toThrow(StateStoreError);
    await expect(store.get("feed", "Worldwide")).rejects.toThrow(path);
    await expect(store.put("feed", "Worldwide", {}, { ifMatch: "x" })).rejects.toThrow(path);
  });

  it("names a JSON file that is not a state document", async () => {
    const dir = await tempDir();
    await mkdir(join(dir, "feed"));
    await writeFile(join(dir, "feed", "Worldwide.json"), '{"version":"2026010100"}');
    await expect(new FileStateStore(dir).get("feed", "Worldwide")).rejects.toThrow(/Worldwide\.json is not a state document/);
  });

  it("leaves no temporary or lock files behind, after failed writes either", async () => {
    const dir = await tempDir();
    const store = new FileStateStore(dir);
    const etag = await store.put("run", "r1", { n: 1 });
    await store.put("run", "r1", bigDocument(100_000), { ifMatch: etag });
    await expect(store.put("run", "r1", {}, { ifMatch: etag })).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(store.put("run", "r1", {}, { ifNoneMatch: "*" })).rejects.toBeInstanceOf(ConcurrencyError);
    await Promise.allSettled(Array.from({ length: 5 }, (_, n) => store.put("run", "r2", { n }, { ifNoneMatch: "*" })));
    await store.delete("run", "r2");
    expect(await readdir(join(dir, "run"))).toEqual(["r1.json"]);
  });

  it("removes the temporary files of writes cut short once they are older than asked, and nothing else", async () => {
    const dir = await tempDir();
    const store = new FileStateStore(dir);
    await store.put("run", "r1", { n: 1 });
    await store.put("report", "t/r1", { n: 1 });
    // What a writer killed between writing and renaming leaves: one long ago, one a moment ago (perhaps still being written).
    const old = join(dir, "run", ".0123456789abcdef.tmp");
    const recent = join(dir, "report", ".fedcba9876543210.tmp");
    await writeFile(old, '{"etag":"x","key":"r1","value":{"trunc');
    await writeFile(recent, "{");
    const longAgo = new Date(Date.now() - 2 * 24 * 3600_000);
    await utimes(old, longAgo, longAgo);
    await writeFile(join(dir, "run", ".r2.lock"), "");

    expect(await store.removeLeftovers(new Date(Date.now() - 24 * 3600_000))).toBe(1);
    expect((await readdir(join(dir, "run"))).sort()).toEqual([".r2.lock", "r1.json"]);
    expect((await readdir(join(dir, "report"))).sort()).toEqual([".fedcba9876543210.tmp", "t%2Fr1.json"]);
    expect(await new FileStateStore(await tempDir()).removeLeftovers(new Date())).toBe(0);
  });

  it("takes over a lock left by a crashed writer", async () => {
    const dir = await tempDir();
    await mkdir(join(dir, "run"));
    const lock = join(dir, "run", ".r1.lock");
    await writeFile(lock, "");
    const longAgo = new Date(Date.now() - 60_000);
    await utimes(lock, longAgo, longAgo);
    const store = new FileStateStore(dir);
    await store.put("run", "r1", { n: 1 });
    expect((await store.get("run", "r1"))?.value).toEqual({ n: 1 });
    expect(await readdir(join(dir, "run"))).toEqual(["r1.json"]);
  });

  it("describes itself by its absolute directory", () => {
    expect(new FileStateStore("/var/lib/mfg").description).toBe("local state directory /var/lib/mfg");
    expect(new FileStateStore("rel").description).toBe(`local state directory ${join(process.cwd(), "rel")}`);
  });
});

/** Rows laid out in the table; with Blob Storage, see table-blob-store.test.ts. */
describe("TableStateStore", () => {
  const kindRows = (kind: string) => `PartitionKey ge '${kind}|' and PartitionKey lt '${kind}}'`;
  async function rowKeys(client: TableClient, kind: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const row of client.listEntities({ queryOptions: { filter: kindRows(kind), select: ["RowKey"] } })) keys.push(row.rowKey ?? "");
    return keys;
  }

  it("spreads a large document over rows and removes them when it shrinks", async () => {
    const client = azuriteTable();
    const store = new TableStateStore(client);
    await store.put("inventory", "ex01", bigDocument(2_500_000));
    const rows = await rowKeys(client, "inventory");
    expect(rows.length).toBeGreaterThan(2);
    expect(rows[0]).toBe("ex01");

    await store.put("inventory", "ex01", { small: true });
    expect(await rowKeys(client, "inventory")).toEqual(["ex01"]);
    await store.put("inventory", "ex01", bigDocument(2_500_000));
    expect(await store.delete("inventory", "ex01")).toBe(true);
    expect(await rowKeys(client, "inventory")).toEqual([]);
  });

  it("never cuts a surrogate pair between chunk properties", async () => {
    const client = azuriteTable();
    const store = new TableStateStore(client);
    await store.put("report", "even", { s: "😀".repeat(70_000) });
    await store.put("report", "odd", { ss: "😀".repeat(70_000) });
    const chunks: string[] = [];
    for await (const row of client.listEntities<Record<string, unknown>>({ queryOptions: { filter: kindRows("report") } })) {
      for (const [name, text] of Object.entries(row)) if (/^c\d\d$/.test(name) && typeof text === "string") chunks.push(text);
    }
    expect(chunks.length).toBeGreaterThanOrEqual(10);
    for (const text of chunks) expect(text).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/);
  });

  it("encodes the characters Table keys forbid, and the escape and separator characters", async () => {
    const client = azuriteTable();
    await new TableStateStore(client).put("run", "a/b\\c#d?e%f~g\u0001", {});
    expect(await rowKeys(client, "run")).toEqual(["a%2Fb%5Cc%23d%3Fe%25f%7Eg%01"]);
  });

  it("refuses a document whose chunk count does not match its first row", async () => {
    const client = azuriteTable();
    const store = new TableStateStore(client);
    await store.put("feed", "Worldwide", { version: 1 });
    await client.updateEntity({ partitionKey: "feed|Worldwide", rowKey: "Worldwide", chunks: 2 }, "Merge");
    await expect(store.get("feed", "Worldwide")).rejects.toThrow(/feed "Worldwide" is damaged: 1 of its 2 chunks found/);
  });

  it("refuses a document whose continuation rows are missing", async () => {
    const client = azuriteTable();
    const store = new TableStateStore(client);
    await store.put("inventory", "ex01", bigDocument(2_500_000));
    const continuation = (await rowKeys(client, "inventory")).find((key) => key.includes("~"));
    await client.deleteEntity("inventory|ex01", continuation ?? "");
    await expect(store.get("inventory", "ex01")).rejects.toThrow(/inventory "ex01" .* is incomplete: continuation rows are missing/);
  });

  it("repairs a document with missing continuation rows by writing it, and removes every row when deleting it", async () => {
    const client = azuriteTable();
    const store = new TableStateStore(client);
    await store.put("inventory", "ex01", bigDocument(2_500_000));
    await store.put("inventory", "ex02", bigDocument(2_500_000));
    for (const key of ["ex01", "ex02"]) {
      const continuation = (await rowKeys(client, "inventory")).find((rowKey) => rowKey.startsWith(`${key}~`));
      await client.deleteEntity(`inventory|${key}`, continuation ?? "");
      await expect(store.get("inventory", key)).rejects.toThrow(/incomplete/);
    }

    const etag = await store.put("inventory", "ex01", { repaired: true });
    expect(await store.get("inventory", "ex01")).toEqual({ value: { repaired: true }, etag });
    expect(await store.delete("inventory", "ex02")).toBe(true);
    expect(await rowKeys(client, "inventory")).toEqual(["ex01"]);
  });

  it("leaves no continuation rows behind when replacing or deleting multi-row documents", async () => {
    const client = azuriteTable();
    const store = new TableStateStore(client);
    await store.put("inventory", "ex01", bigDocument(1_200_000));
    await store.put("inventory", "ex01", bigDocument(2_500_000));
    await store.put("inventory", "ex01", bigDocument(1_200_000));
    const rows = await rowKeys(client, "inventory");
    const versions = new Set(rows.filter((key) => key.includes("~")).map((key) => key.split("~")[1]));
    expect(versions.size).toBe(1);
    await store.delete("inventory", "ex01");
    expect(await rowKeys(client, "inventory")).toEqual([]);
  });

  it("reports a table deleted while in use, and creates it again on the next call", async () => {
    const client = azuriteTable();
    const store = new TableStateStore(client);
    await store.put("feed", "Worldwide", { n: 1 });
    await client.deleteTable();
    await expect(store.put("feed", "Worldwide", { n: 2 })).rejects.toThrow(
      /^Table Storage: could not write feed "Worldwide": the table \w+ does not exist/,
    );
    expect(await store.get("feed", "Worldwide")).toBeUndefined();
    await store.put("feed", "Worldwide", { n: 3 });
    expect((await store.get("feed", "Worldwide"))?.value).toEqual({ n: 3 });
  });

  it("refuses a document too large for one transaction before sending it", async () => {
    const store = new TableStateStore(azuriteTable());
    await expect(store.put("report", "huge", bigDocument(5_000_000))).rejects.toThrow(/too large for Table Storage/);
  });

  it("maps an unreachable service to StateStoreError without the account key", async () => {
    const unreachable = connectionString.replace(/TableEndpoint=http:\/\/127\.0\.0\.1:\d+/, "TableEndpoint=http://127.0.0.1:9");
    const client = TableClient.fromConnectionString(unreachable, uniqueTableName(), {
      allowInsecureConnection: true,
      retryOptions: { maxRetries: 0 },
    });
    const error = await new TableStateStore(client).get("feed", "Worldwide").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateStoreError);
    expect((error as Error).message).toMatch(/^Table Storage: could not create the table/);
    expect((error as Error).message).not.toContain(accountKey);
    // The SDK's own error is kept as the cause: the refused connection, not an HTTP answer.
    expect((error as Error).cause).toBeInstanceOf(RestError);
    expect((error as Error).cause).toMatchObject({ code: "ECONNREFUSED", statusCode: undefined });
  });

  it("keeps a SAS token out of errors", async () => {
    const sas = "TableEndpoint=http://127.0.0.1:9/devstoreaccount1;SharedAccessSignature=sv=2024-01-01&sig=c2VjcmV0c2ln";
    const client = TableClient.fromConnectionString(sas, uniqueTableName(), { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });
    const error = await new TableStateStore(client).put("feed", "Worldwide", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateStoreError);
    expect((error as Error).message).not.toContain("c2VjcmV0c2ln");
    expect((error as Error).message).not.toMatch(/[\r\n]/);
  });

  it("describes itself by endpoint and table, without credentials", () => {
    const tableName = uniqueTableName();
    const description = new TableStateStore(azuriteTable(tableName)).description;
    expect(description).toMatch(new RegExp(`^Table Storage http://127\\.0\\.0\\.1:\\d+/devstoreaccount1/${tableName}$`));
    expect(description).not.toContain(accountKey);
  });
});
