import { InputError } from "./errors.js";

const EXPECTED = "expected UTF-8 (with or without a byte order mark) or UTF-16 with a byte order mark";

/**
 * The text of a file or request body, in the encodings Windows and everyone
 * else write JSON in: UTF-8 with or without a byte order mark, and UTF-16 LE
 * or BE with one (what Windows PowerShell 5.1's `Out-File` and `>` write).
 * Anything else is one line naming the source and what was expected; the
 * bytes themselves are never echoed.
 *
 * @example decodeText(await readFile("connectors.json"), "connectors.json")
 */
export function decodeText(bytes: Uint8Array, source: string): string {
  const [b0, b1, b2] = bytes;
  if (b0 === 0xef && b1 === 0xbb && b2 === 0xbf) return decode("utf-8", bytes.subarray(3), source, "UTF-8");
  if (b0 === 0xff && b1 === 0xfe) return decode("utf-16le", bytes.subarray(2), source, "UTF-16 LE");
  if (b0 === 0xfe && b1 === 0xff) return decode("utf-16be", bytes.subarray(2), source, "UTF-16 BE");
  // JSON text starts with ASCII; a NUL byte beside it is UTF-16 that lost its byte order mark.
  if (bytes.length >= 2 && (bytes[0] === 0 || bytes[1] === 0)) {
    throw new InputError(`looks like UTF-16 without a byte order mark; ${EXPECTED} (Out-File -Encoding utf8 writes one)`, { source });
  }
  return decode("utf-8", bytes, source, "UTF-8");
}

function decode(encoding: "utf-8" | "utf-16le" | "utf-16be", bytes: Uint8Array, source: string, name: string): string {
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (error) {
    throw new InputError(`is not valid ${name}; ${EXPECTED}`, { source }, { cause: error });
  }
}
