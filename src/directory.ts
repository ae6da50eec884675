import { mkdir, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { InputError } from "./errors.js";

/**
 * Creates a directory and its missing parents one level at a time. Node's
 * recursive `mkdir` spins for ever on paths such as `/proc/x`; this fails at
 * once, with one line naming `label` (the flag or setting it came from), the
 * path and why.
 *
 * @example await makeDirectory(resolve(cwd, "out"), "--out")
 */
export async function makeDirectory(path: string, label: string): Promise<void> {
  const fail = (why: string, cause?: unknown) => new InputError(why, { source: `${label} ${path}` }, { cause });
  const missing: string[] = [];
  for (let current = resolve(path); ; current = dirname(current)) {
    const kind = await kindOf(current).catch((error: unknown) => {
      throw fail(`cannot be used (${describe(error)})`, error);
    });
    if (kind === "directory") break;
    if (kind === "other") throw fail(current === resolve(path) ? "is a file, not a directory" : `${current} is a file, not a directory`);
    missing.push(current);
    if (dirname(current) === current) break;
  }
  for (const dir of missing.reverse()) {
    try {
      await mkdir(dir);
    } catch (error) {
      // Another process may have made it meanwhile; anything else is a reason to stop.
      if (codeOf(error) === "EEXIST" && (await kindOf(dir).catch(() => "other")) === "directory") continue;
      throw fail(`cannot be created (${describe(error)})`, error);
    }
  }
}

async function kindOf(path: string): Promise<"directory" | "other" | "missing"> {
  try {
    return (await stat(path)).isDirectory() ? "directory" : "other";
  } catch (error) {
    if (codeOf(error) === "ENOENT") return "missing";
    throw error;
  }
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

const REASONS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "not permitted",
  EROFS: "read-only file system",
  ENOTDIR: "a part of the path is a file",
  ENOENT: "this file system does not allow it",
  ENOSPC: "no space left",
  ENAMETOOLONG: "the name is too long",
};

function describe(error: unknown): string {
  const code = codeOf(error);
  return code ? (REASONS[code] ?? code) : String(error);
}
