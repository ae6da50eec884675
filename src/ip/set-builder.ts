import { grow, successor, type V4Intervals, type V6Intervals, WordWriter } from "./intervals.js";
import { compareWords, type ParsedRange } from "./range.js";

/**
 * Collects ranges in flat typed arrays, then orders each family with a radix
 * sort and merges it in one pass. IPv6 stays in 32-bit words until the
 * merged intervals, so a large set makes bigints only for its result.
 */
export class IntervalBuilder {
  private v4: Float64Array;
  private count4 = 0;
  /** Per range 8 words: the first address, then the last. */
  private v6: Uint32Array;
  private count6 = 0;

  constructor(capacity: number) {
    this.v4 = new Float64Array(2 * Math.max(capacity, 8));
    this.v6 = new Uint32Array(8 * 8);
  }

  add(parsed: ParsedRange): void {
    if (parsed.family === 4) this.add4(parsed.first4, parsed.last4);
    else this.add6(parsed.v6);
  }

  add4(first: number, last: number): void {
    if (2 * this.count4 === this.v4.length) this.v4 = grow(this.v4, new Float64Array(this.v4.length * 2));
    this.v4[2 * this.count4] = first;
    this.v4[2 * this.count4 + 1] = last;
    this.count4++;
  }

  /** `words`: 8 words, first address then last. */
  add6(words: Uint32Array): void {
    if (8 * this.count6 === this.v6.length) this.v6 = grow(this.v6, new Uint32Array(this.v6.length * 2));
    const at = 8 * this.count6++;
    for (let k = 0; k < 8; k++) this.v6[at + k] = words[k]!;
  }

  build(): { v4: V4Intervals; v6: V6Intervals } {
    return { v4: this.merge4(), v6: this.merge6() };
  }

  private merge4(): number[] {
    const n = this.count4;
    const ranges = this.v4;
    const out: number[] = [];
    if (n === 0) return out;
    const keys = new Uint32Array(n);
    for (let i = 0; i < n; i++) keys[i] = ranges[2 * i]!;
    const order = radixOrder(keys, 1, 1, n);
    let first = ranges[2 * order[0]!]!;
    let last = ranges[2 * order[0]! + 1]!;
    for (let k = 1; k < n; k++) {
      const i = 2 * order[k]!;
      const f = ranges[i]!;
      if (f > last + 1) {
        out.push(first, last);
        first = f;
        last = ranges[i + 1]!;
      } else if (ranges[i + 1]! > last) {
        last = ranges[i + 1]!;
      }
    }
    out.push(first, last);
    return out;
  }

  private merge6(): Uint32Array {
    const n = this.count6;
    const w = this.v6;
    if (n === 0) return new Uint32Array(0);
    const out = new WordWriter(8 * n);
    const order = radixOrder(w, 8, 4, n);
    const current = w.slice(8 * order[0]!, 8 * order[0]! + 8);
    // The address after the current interval, unless it ends at the top of the space.
    const after = new Uint32Array(4);
    let atTop = increment(current, after);
    for (let k = 1; k < n; k++) {
      const i = 8 * order[k]!;
      if (!atTop && compareWords(w, i, after, 0) > 0) {
        out.push4(current, 0);
        out.push4(current, 4);
        for (let k = 0; k < 8; k++) current[k] = w[i + k]!;
        atTop = increment(current, after);
      } else if (compareWords(w, i + 4, current, 4) > 0) {
        for (let k = 4; k < 8; k++) current[k] = w[i + k]!;
        atTop = increment(current, after);
      }
    }
    out.push4(current, 0);
    out.push4(current, 4);
    return out.words();
  }
}

/** Writes the last address of `range` (words 4..7) plus one into `after`; true when it overflows. */
function increment(range: Uint32Array, after: Uint32Array): boolean {
  return successor(range, 4, after, 0);
}

const DIGIT_BITS = 11;
const BUCKETS = 1 << DIGIT_BITS;

/**
 * The order of `n` keys, each `words` 32-bit words (most significant first)
 * at a stride of `stride`, by a stable LSD radix sort on 11-bit digits. The
 * keys move with their indices so every pass reads memory in order, and the
 * counts stay small enough for the CPU cache. Passes where every key has the
 * same digit are skipped: most of them for IPv6 prefixes that share their
 * leading bits.
 */
function radixOrder(source: Uint32Array, stride: number, words: number, n: number): Uint32Array {
  let keys = new Uint32Array(n * words);
  let spareKeys = new Uint32Array(n * words);
  let order = new Uint32Array(n);
  let spare = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    order[i] = i;
    for (let w = 0; w < words; w++) keys[i * words + w] = source[i * stride + w]!;
  }
  const counts = new Uint32Array(BUCKETS);
  for (let word = words - 1; word >= 0; word--) {
    for (let shift = 0; shift < 32; shift += DIGIT_BITS) {
      counts.fill(0);
      for (let i = 0; i < n; i++) counts[(keys[i * words + word]! >>> shift) & (BUCKETS - 1)]!++;
      if (counts[(keys[word]! >>> shift) & (BUCKETS - 1)] === n) continue;
      let sum = 0;
      for (let d = 0; d < BUCKETS; d++) {
        const c = counts[d]!;
        counts[d] = sum;
        sum += c;
      }
      for (let k = 0; k < n; k++) {
        const at = counts[(keys[k * words + word]! >>> shift) & (BUCKETS - 1)]!++;
        spare[at] = order[k]!;
        for (let w = 0; w < words; w++) spareKeys[at * words + w] = keys[k * words + w]!;
      }
      [order, spare] = [spare, order];
      [keys, spareKeys] = [spareKeys, keys];
    }
  }
  return order;
}
