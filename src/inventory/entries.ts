import { InputError, InvalidRangeError } from "../errors.js";
import { ParsedEntries, parseRange } from "../ip/index.js";
import { cutShortError, cutShortText } from "../serialised/cut-short.js";
import { ipRangeText, isObject } from "../serialised/values.js";

const ENTRY_EXPECTED = 'expected an address, CIDR or range string, or an object with "Expression" or "LowerBound"/"UpperBound"';

/**
 * Turns each entry into the text Exchange shows and checks it parses, naming
 * the entry where the input file has it; object forms must agree with
 * themselves. The parse is kept for the drift analysis of the same list.
 */
export function entryTexts(entries: readonly unknown[], source: string, path: string): string[] {
  const texts = entries.map((item, i) => {
    const at = { source, path: `${path}[${i}]` };
    // ConvertTo-Json below the objects' depth writes their type name instead of them.
    const cut = cutShortText(item);
    if (cut) throw cutShortError(cut).at(at);
    if (typeof item !== "string" && !isObject(item)) throw new InputError(ENTRY_EXPECTED, at);
    try {
      return ipRangeText(item, (expression, bounds) => {
        const [a, b] = [parseAt(expression, at), parseAt(bounds, at)];
        return a.first === b.first && a.last === b.last;
      });
    } catch (error) {
      throw error instanceof InputError && !(error instanceof InvalidRangeError) ? error.at(at) : error;
    }
  });
  try {
    ParsedEntries.parse(texts);
  } catch (error) {
    if (error instanceof InvalidRangeError) throw error.at({ source, path });
    throw error;
  }
  return texts;
}

/** An entry parsed, its error placed where the input file has it. */
export function parseAt(text: string, at: { source: string; path: string }) {
  try {
    return parseRange(text);
  } catch (error) {
    if (error instanceof InvalidRangeError) throw error.at(at);
    throw error;
  }
}
