import { InputError } from "../errors.js";
import { printable } from "../validation.js";

/**
 * Text that ConvertTo-Json leaves where it stopped descending: a type's name
 * (an object whose ToString is its type) or a certificate's multi-line
 * ToString. Undefined for anything else.
 */
export function cutShortText(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (/^(?:Microsoft\.Exchange|System)\.[\w.`[\]]+$/.test(text)) return `${printable(JSON.stringify(text))} is a type name`;
  if (/^\[Subject\]\s/.test(text)) return "is a certificate's text (its ToString)";
  return undefined;
}

/** The error for such text: what it is, and the export that keeps the objects. */
export function cutShortError(what: string): InputError {
  return new InputError(`${what} where the object should be: the export was cut short; export with ConvertTo-Json -Depth 6 or with Export-Clixml`);
}
