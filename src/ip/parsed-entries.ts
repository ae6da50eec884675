import { InvalidRangeError } from "../errors.js";
import { type ParsedRange, parsedRange, parseRangeInto } from "./range.js";

/**
 * A list of entries parsed once into flat typed arrays, so the inventory's
 * validation and the drift analysis of a 200,000-entry allowlist share one
 * parse. Kept per list (by identity) until the list is collected; the lists
 * of an inventory are never changed once parsed.
 */
export class ParsedEntries {
  private constructor(
    readonly length: number,
    private readonly families: Uint8Array,
    /** Per entry: first and last IPv4 address. */
    private readonly v4: Float64Array,
    /** Per entry: 8 words, the first IPv6 address, then the last. */
    private readonly v6: Uint32Array,
  ) {}

  /** Parses every entry; a bad one throws InvalidRangeError placed at `[index]`. */
  static parse(entries: readonly string[]): ParsedEntries {
    const cached = cache.get(entries);
    if (cached) return cached;
    const n = entries.length;
    const families = new Uint8Array(n);
    const v4 = new Float64Array(2 * n);
    const v6 = new Uint32Array(8 * n);
    const parsed = parsedRange();
    for (let i = 0; i < n; i++) {
      try {
        parseRangeInto(entries[i]!, parsed);
      } catch (error) {
        if (error instanceof InvalidRangeError) throw error.at({ path: `[${i}]` });
        throw error;
      }
      families[i] = parsed.family;
      if (parsed.family === 4) {
        v4[2 * i] = parsed.first4;
        v4[2 * i + 1] = parsed.last4;
      } else {
        v6.set(parsed.v6, 8 * i);
      }
    }
    const result = new ParsedEntries(n, families, v4, v6);
    cache.set(entries, result);
    return result;
  }

  /** Each entry in order, in one reused buffer: copy what you keep. */
  forEach(visit: (parsed: ParsedRange, index: number) => void): void {
    const parsed = parsedRange();
    for (let i = 0; i < this.length; i++) {
      const family = this.families[i] as 4 | 6;
      parsed.family = family;
      if (family === 4) {
        parsed.first4 = this.v4[2 * i]!;
        parsed.last4 = this.v4[2 * i + 1]!;
      } else {
        // Word by word: a subarray per entry would be 200,000 short-lived objects.
        for (let k = 0; k < 8; k++) parsed.v6[k] = this.v6[8 * i + k]!;
      }
      visit(parsed, i);
    }
  }
}

const cache = new WeakMap<readonly string[], ParsedEntries>();
