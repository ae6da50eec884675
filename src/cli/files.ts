import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { makeDirectory } from "../directory.js";
import { decodeText } from "../encoding.js";
import { InputError } from "../errors.js";
import { parseDocument } from "../serialised/document.js";
import { parseJson } from "../validation.js";

/** Reads and parses a JSON file; any failure is one line naming the file. */
export async function readJsonFile(path: string): Promise<unknown> {
  return parseJson(decodeText(await readBytes(path), path), path);
}

/**
 * Reads an inventory, a state document or a cmdlet's raw output, JSON or
 * CLIXML, with the time the file was last written (when raw output was
 * collected); any failure is one line naming the file.
 */
export async function readDocumentFile(path: string): Promise<{ source: string; data: unknown; modifiedAt: Date }> {
  const bytes = await readBytes(path);
  const { mtime } = await stat(path);
  return { source: path, data: parseDocument(decodeText(bytes, path), path), modifiedAt: mtime };
}

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "does not exist"
        : code === "EISDIR"
          ? "is a directory, not a file"
          : code === "EACCES"
            ? "cannot be read (permission denied)"
            : `cannot be read (${code ?? "unknown error"})`;
    throw new InputError(why, { source: path }, { cause: error });
  }
}

/**
 * Writes a run's outputs into `dir` so that no half-written set is left:
 * every file goes to a temporary name first and is renamed only when all
 * were written.
 */
export async function writeFiles(dir: string, files: Record<string, string>, label = "--out"): Promise<string[]> {
  await makeDirectory(dir, label);
  const tag = randomBytes(4).toString("hex");
  const staged = Object.entries(files).map(([name, content]) => ({ final: join(dir, name), temp: join(dir, `.${name}.${tag}.tmp`), content }));
  try {
    for (const f of staged) await writeFile(f.temp, f.content, "utf8");
    for (const f of staged) await rename(f.temp, f.final);
  } catch (error) {
    await Promise.all(staged.map((f) => rm(f.temp, { force: true })));
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new InputError(`could not write the outputs (${code}); nothing was written`, { source: `${label} ${dir}` }, { cause: error });
  }
  return staged.map((f) => f.final);
}

/** The folder holding package.json, from wherever this file was compiled to. */
export function packageRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = resolve(dir, "..")) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (resolve(dir, "..") === dir) throw new Error("the mailflow-guard package folder was not found");
  }
}
