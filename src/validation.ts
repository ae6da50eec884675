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
  const message =
    first?.code === "unrecognized_keys"
      ? `has ${first.keys.length === 1 ? "an unknown key" : "unknown keys"} ${first.keys.map((k) => JSON.stringify(k)).join(", ")} (a typo?)`
      : (first?.message ?? "invalid");
  throw new InputError(`${printable(message)}${more}`, { source, path: formatPath(first?.path ?? []) || undefined }, { cause: result.error });
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
    // The parser quotes a piece of the text: keep it to one printable line.
    throw new InputError(`is not valid JSON (${printable((error as Error).message)})`, { source }, { cause: error });
  }
}

// Control characters and Unicode line separators would let a name break out of a comment or a line in
// the scripts and reports we write; bidirectional controls, zero-width and invisible characters (soft
// hyphen, fillers, variation selectors, tags) make a name read as another one (`EX01\Inbound` that is
// not); a lone surrogate becomes U+FFFD in UTF-8 and no longer names the object. Names from outside
// refuse all of them.
const UNSAFE_TEXT =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point.
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: the combining characters are listed to be refused, not combined.
  /[\u0000-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u3164\ufe00-\ufe0f\ufeff\ufff9-\ufffb\u{e0000}-\u{e007f}]|\p{Cs}/u;
const UNSAFE_TEXT_ALL = new RegExp(UNSAFE_TEXT.source, "gu");

/** What names refuse, in words for error messages. */
export const UNSAFE_CHARACTERS = "control, bidirectional or zero-width characters or line breaks";

export function hasUnsafeCharacters(text: string): boolean {
  return UNSAFE_TEXT.test(text);
}

/** Text for a message, with every unsafe character shown as `\uXXXX`. */
export function printable(text: string): string {
  return text.replace(UNSAFE_TEXT_ALL, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, "0")}`);
}

/** A value described for an error message: its type, or a short quote of a string. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "missing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return printable(JSON.stringify(value.slice(0, 60)));
  return typeof value === "object" ? "an object" : `${typeof value} ${String(value)}`;
}
