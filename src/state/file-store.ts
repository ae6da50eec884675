/**
 * The CLI's local state directory: one JSON file per document at
 * `<dir>/<kind>/<encoded key>.json`, holding `{ "etag": …, "key": …, "value": … }`.
 * The key is kept so that two keys differing only in case, which share a file
 * on a case-insensitive file system (Windows, macOS), are refused rather than
 * mixed up.
 *
 * A write goes to a temporary file in the same directory, is fsynced and
 * renamed over the document, so a crash leaves the old or the new document,
 * never a truncated one. Writers of one document take a lock file first, so
 * conditional writes are exact even between two CLI processes.
 */
import { randomBytes } from "node:crypto";
import { open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { makeDirectory } from "../directory.js";
import { ConcurrencyError, DamagedDocumentError, StateStoreError } from "../errors.js";
import { DOCUMENT_KINDS, type DocumentKind, type ListOptions, type StateStore, type StoredDocument, shortKey, type WriteCondition } from "./store.js";

/** A lock older than this was left by a crashed writer; a live one is held for milliseconds. */
const LOCK_STALE_MS = 10_000;
const LOCK_WAIT_MS = 15_000;
/** File names are at most 255 bytes; the lock file adds a leading dot and `.lock`. */
const MAX_ENCODED_KEY_BYTES = 255 - ".".length - ".lock".length;
/** What writeAtomically writes before renaming it over the document. */
const TEMP_FILE = /^\.[0-9a-f]{16}\.tmp$/;

export class FileStateStore implements StateStore {
  readonly description: string;
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
    this.description = `local state directory ${this.dir}`;
  }

  async get(kind: DocumentKind, key: string): Promise<StoredDocument | undefined> {
    return this.read(this.documentPath(kind, key), key);
  }

  async put(kind: DocumentKind, key: string, value: unknown, condition: WriteCondition = {}): Promise<string> {
    const path = this.documentPath(kind, key);
    const where = `${kind} ${shortKey(key)}`;
    if (condition.ifMatch !== undefined && condition.ifNoneMatch !== undefined)
      throw new StateStoreError(`${where}: a write takes ifMatch or ifNoneMatch, not both`);
    const json = JSON.stringify(value) as string | undefined;
    if (json === undefined) throw new StateStoreError(`${where}: the value is not JSON (${typeof value})`);
    // A fresh random ETag per write: unlike a content hash, writing A, B, A again does not revive A's ETag.
    const etag = randomBytes(12).toString("hex");
    await makeDirectory(join(this.dir, kind), "the state directory").catch((error: unknown) => {
      throw new StateStoreError((error as Error).message, { cause: error });
    });
    await this.locked(path, async () => {
      checkCondition(kind, key, await this.read(path, key), condition);
      await writeAtomically(path, `{"etag":"${etag}","key":${JSON.stringify(key)},"value":${json}}`);
    });
    return etag;
  }

  async delete(kind: DocumentKind, key: string, condition: Pick<WriteCondition, "ifMatch"> = {}): Promise<boolean> {
    const path = this.documentPath(kind, key);
    // Without the kind's directory there is nothing to delete and nowhere to put a lock.
    if (!(await exists(join(this.dir, kind)))) return false;
    return this.locked(path, async () => {
      const current = await this.read(path, key);
      if (!current) return false;
      checkCondition(kind, key, current, condition);
      await unlink(path).catch((error: unknown) => {
        throw fsError(`could not delete ${path}`, error);
      });
      return true;
    });
  }

  async list(kind: DocumentKind, options: ListOptions = {}): Promise<string[]> {
    const kindDir = join(this.dir, kind);
    let names: string[];
    try {
      names = await readdir(kindDir);
    } catch (error) {
      if (errorCode(error) === "ENOENT") return [];
      throw fsError(`could not list ${kindDir}`, error);
    }
    // Temporary and lock files start with a dot, which an encoded key never does.
    const documents = names.filter((name) => name.endsWith(".json") && !name.startsWith("."));
    const keys = documents.map((name) => decodeKey(name.slice(0, -".json".length), join(kindDir, name)));
    const prefix = options.prefix;
    return (prefix === undefined ? keys : keys.filter((key) => key.startsWith(prefix))).sort();
  }

  /** Deletes temporary files that writers cut short (a crash, a kill) left in the kinds' directories. */
  async removeLeftovers(before: Date): Promise<number> {
    let removed = 0;
    for (const kind of DOCUMENT_KINDS) {
      const kindDir = join(this.dir, kind);
      let names: string[];
      try {
        names = await readdir(kindDir);
      } catch (error) {
        if (errorCode(error) === "ENOENT") continue;
        throw fsError(`could not list ${kindDir}`, error);
      }
      for (const name of names.filter((n) => TEMP_FILE.test(n))) {
        const path = join(kindDir, name);
        const info = await stat(path).catch(() => undefined); // renamed over its document meanwhile
        if (!info || info.mtimeMs >= before.getTime()) continue;
        const gone = await unlink(path).then(
          () => true,
          (error: unknown) => {
            if (errorCode(error) === "ENOENT") return false;
            throw fsError(`could not delete ${path}`, error);
          },
        );
        if (gone) removed++;
      }
    }
    return removed;
  }

  private documentPath(kind: DocumentKind, key: string): string {
    return join(this.dir, kind, `${encodeKey(key)}.json`);
  }

  private async read(path: string, key: string): Promise<StoredDocument | undefined> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if (errorCode(error) === "ENOENT") return undefined;
      throw fsError(`could not read ${path}`, error);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new DamagedDocumentError(`${path} is not valid JSON; restore it from a backup or delete it`, { cause: error });
    }
    if (!isStoredDocument(parsed)) throw new DamagedDocumentError(`${path} is not a state document (expected {"etag": "…", "value": …})`);
    if (parsed.key !== undefined && parsed.key !== key) {
      throw new StateStoreError(
        `the key ${shortKey(key)} shares ${path} with ${shortKey(parsed.key)} on this case-insensitive file system; keys must differ in more than ` +
          `case`,
      );
    }
    return { etag: parsed.etag, value: parsed.value };
  }

  /**
   * Runs `action` holding `<kind>/.<encoded key>.lock`, created exclusively so
   * that one writer at a time, in any process, gets it. Breaking a stale lock
   * is not itself atomic; it only happens after a writer crashed.
   */
  private async locked<T>(path: string, action: () => Promise<T>): Promise<T> {
    const lockPath = join(dirname(path), `.${basename(path, ".json")}.lock`);
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        await (await open(lockPath, "wx")).close();
        break;
      } catch (error) {
        if (errorCode(error) !== "EEXIST") throw fsError(`could not create the lock ${lockPath}`, error);
      }
      if (await isStale(lockPath)) {
        await unlink(lockPath).catch(() => undefined); // another waiter may have removed it first
        continue;
      }
      if (Date.now() > deadline) {
        throw new StateStoreError(`${lockPath} is held by another writer; if no mailflow-guard process is running, delete it`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    }
    try {
      return await action();
    } finally {
      await unlink(lockPath).catch(() => undefined); // a lock left behind turns stale and is taken over
    }
  }
}

/**
 * Key → file name: [A-Za-z0-9._-] stay (except a leading dot, which would
 * hide the file or name `.`/`..`), everything else is percent-encoded UTF-8.
 *
 * @example encodeKey("contoso.onmicrosoft.com") // "contoso.onmicrosoft.com"
 * @example encodeKey("a/b c") // "a%2Fb%20c"
 */
function encodeKey(key: string): string {
  if (key === "") throw new StateStoreError("a document key must not be empty");
  // A lone surrogate would be written as U+FFFD and come back as a different key.
  if (/\p{Cs}/u.test(key)) throw new StateStoreError(`the key ${shortKey(key)} is not well-formed Unicode`);
  let name = "";
  for (const char of key) {
    const keep = /^[A-Za-z0-9._-]$/.test(char) && !(name === "" && char === ".");
    name += keep ? char : [...Buffer.from(char, "utf8")].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`).join("");
  }
  if (name.length > MAX_ENCODED_KEY_BYTES) {
    throw new StateStoreError(
      `the key ${shortKey(key)} is too long for a file name: ${name.length} characters once encoded, at most ${MAX_ENCODED_KEY_BYTES}`,
    );
  }
  return name;
}

function decodeKey(name: string, path: string): string {
  try {
    return decodeURIComponent(name);
  } catch (error) {
    throw new StateStoreError(`${path} is not named like a state document (undecodable key)`, { cause: error });
  }
}

function checkCondition(kind: DocumentKind, key: string, current: StoredDocument | undefined, condition: WriteCondition): void {
  const what = `${kind} ${shortKey(key)}`;
  if (condition.ifNoneMatch === "*" && current) throw new ConcurrencyError(`${what} already exists`);
  if (condition.ifMatch !== undefined && current?.etag !== condition.ifMatch) {
    throw new ConcurrencyError(current ? `${what} was changed by another writer` : `${what} was deleted by another writer`);
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${randomBytes(8).toString("hex")}.tmp`);
  try {
    const file = await open(temp, "wx");
    try {
      await file.writeFile(text, "utf8");
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw fsError(`could not write ${path}`, error);
  }
}

async function isStale(lockPath: string): Promise<boolean> {
  try {
    return Date.now() - (await stat(lockPath)).mtimeMs > LOCK_STALE_MS;
  } catch {
    return false; // gone already: the next attempt takes it
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (errorCode(error) === "ENOENT") return false;
    throw fsError(`could not access ${path}`, error);
  }
}

function isStoredDocument(parsed: unknown): parsed is { etag: string; key?: string; value: unknown } {
  if (typeof parsed !== "object" || parsed === null || !("value" in parsed)) return false;
  const { etag, key } = parsed as { etag?: unknown; key?: unknown };
  return typeof etag === "string" && (key === undefined || typeof key === "string");
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function fsError(message: string, error: unknown): StateStoreError {
  return error instanceof StateStoreError ? error : new StateStoreError(`${message}: ${errorCode(error) ?? String(error)}`, { cause: error });
}
