import type { z } from "zod";
import { InputError } from "./errors.js";

/**
 * Parses `data` with a zod schema; a failure becomes one InputError line that
 * names the source, the first offending field and what was expected.
 *
 * @example validate(schema, json, "inventory.json") // throws "inventory.json: allowlists[0].mode: expected one of …"
 */
export function validate<S extends z.ZodType>(schema: S, data: unknown, source: string): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const [first, ...rest] = result.error.issues;
  const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length === 1 ? "" : "s"})` : "";
  throw new InputError(
    `${first?.message ?? "invalid"}${more}`,
    { source, path: formatPath(first?.path ?? []) || undefined },
    { cause: result.error },
  );
}

/** `["a", 0, "b"]` → `a[0].b` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Parses JSON text; a syntax error becomes one InputError line naming the source. */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    throw new InputError(`is not valid JSON (${(error as Error).message})`, { source }, { cause: error });
  }
}

// Control characters and Unicode line separators would let a name break out of
// a comment or a line in the scripts and reports we write, so names refuse them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point.
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export function hasUnsafeCharacters(text: string): boolean {
  return UNSAFE_TEXT.test(text);
}
