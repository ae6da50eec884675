import { InputError } from "../errors.js";
import { hasUnsafeCharacters } from "../validation.js";

// PowerShell ends a single-quoted string at any of these, not only at U+0027.
const PS_SINGLE_QUOTES = /['\u2018\u2019\u201a\u201b]/g;

/**
 * A PowerShell single-quoted string literal for any value from outside. Inside
 * single quotes nothing is expanded ($, `, @ and ; are plain text); each quote
 * character is doubled. Control characters and line breaks are refused rather
 * than quoted, so a value can also never end a comment line.
 *
 * @example psQuote("EX01\\Bob's connector") // "'EX01\\Bob''s connector'"
 */
export function psQuote(value: string): string {
  if (hasUnsafeCharacters(value))
    throw new InputError(`${JSON.stringify(value)} contains control characters or line breaks and cannot be quoted safely for PowerShell`);
  return `'${value.replace(PS_SINGLE_QUOTES, (q) => q + q)}'`;
}

/** A value for a `#` comment line: the same refusal of line breaks, nothing else to escape. */
export function psComment(value: string): string {
  if (hasUnsafeCharacters(value))
    throw new InputError(`${JSON.stringify(value)} contains control characters or line breaks and cannot be written in a PowerShell comment`);
  return value;
}
