import { InvalidRangeError } from "../errors.js";
import { bigintToWords, wordsToBigint } from "./address.js";
import type { ParsedEntries } from "./parsed-entries.js";
import { compareWords, type IpFamily, type IpRange, ipv4Cidrs, ipv6CidrsOfWords, type ParsedRange, parsedRange, parseRangeInto } from "./range.js";

/**
 * Each family is a list of sorted, disjoint, non-adjacent intervals.
 * Adjacent intervals are merged, which gives coverage semantics:
 * 40.92.0.0/16 plus 40.93.0.0/16 is one interval, so it covers 40.92.0.0/15.
 *
 * IPv4: numbers, flattened as [first0, last0, first1, last1, …].
 * IPv6: 32-bit words, 8 per interval (first address, then last, most
 * significant word first). Keeping IPv6 out of bigint until someone asks for
 * a bigint saves most of the time and garbage of large sets.
 */
type V4Intervals = readonly number[];
type V6Intervals = Uint32Array;

/** Where a range stands against a set. */
export type Relation = "inside" | "partial" | "outside";

/** An immutable set of IPv4 and IPv6 addresses; every operation is a linear merge of sorted intervals. */
export class RangeSet {
  static readonly empty = new RangeSet([], new Uint32Array(0));

  private constructor(
    private readonly v4: V4Intervals,
    private readonly v6: V6Intervals,
  ) {}

  /**
   * Parses entries; a bad one throws InvalidRangeError placed at `[index]`.
   * `visit` sees each parsed entry on the way, so a caller that classifies
   * entries too parses each one once (the buffer is reused: copy, don't keep).
   */
  static parse(entries: readonly string[], visit?: (parsed: ParsedRange, index: number) => void): RangeSet {
    const builder = new Builder(entries.length);
    const parsed = parsedRange();
    for (let i = 0; i < entries.length; i++) {
      try {
        parseRangeInto(entries[i]!, parsed);
      } catch (error) {
        if (error instanceof InvalidRangeError) throw error.at({ path: `[${i}]` });
        throw error;
      }
      builder.add(parsed);
      visit?.(parsed, i);
    }
    return builder.build();
  }

  /** The same from entries parsed before (the inventory's validation parsed them). */
  static fromParsed(entries: ParsedEntries, visit?: (parsed: ParsedRange, index: number) => void): RangeSet {
    const builder = new Builder(entries.length);
    entries.forEach((parsed, i) => {
      builder.add(parsed);
      visit?.(parsed, i);
    });
    return builder.build();
  }

  /** Collects parsed ranges into a set, for callers that already hold them parsed. */
  static builder(): { add(parsed: ParsedRange): void; build(): RangeSet } {
    return new Builder(0);
  }

  static of(ranges: Iterable<IpRange>): RangeSet {
    const builder = new Builder(0);
    const words = new Uint32Array(8);
    for (const range of ranges) {
      if (range.family === 4) {
        builder.add4(range.first, range.last);
      } else {
        bigintToWords(range.first, words, 0);
        bigintToWords(range.last, words, 4);
        builder.add6(words);
      }
    }
    return builder.build();
  }

  /** @internal */
  static fromIntervals(v4: V4Intervals, v6: V6Intervals): RangeSet {
    return new RangeSet(v4, v6);
  }

  get isEmpty(): boolean {
    return this.v4.length === 0 && this.v6.length === 0;
  }

  union(other: RangeSet): RangeSet {
    return new RangeSet(union4(this.v4, other.v4), union6(this.v6, other.v6));
  }

  intersect(other: RangeSet): RangeSet {
    return new RangeSet(intersect4(this.v4, other.v4), intersect6(this.v6, other.v6));
  }

  subtract(other: RangeSet): RangeSet {
    return new RangeSet(subtract4(this.v4, other.v4), subtract6(this.v6, other.v6));
  }

  /** Every address of `other` is in this set. */
  covers(other: RangeSet): boolean {
    return other.subtract(this).isEmpty;
  }

  overlaps(other: RangeSet): boolean {
    return !this.intersect(other).isEmpty;
  }

  /** Whether a range lies wholly inside the set, partly, or not at all; a binary search. */
  relation(range: IpRange | ParsedRange): Relation {
    if ("v6" in range) return range.family === 4 ? relation4(this.v4, range.first4, range.last4) : relation6(this.v6, range.v6);
    if (range.family === 4) return relation4(this.v4, range.first, range.last);
    bigintToWords(range.first, probe, 0);
    bigintToWords(range.last, probe, 4);
    return relation6(this.v6, probe);
  }

  equals(other: RangeSet): boolean {
    return sameIntervals(this.v4, other.v4) && sameIntervals(this.v6, other.v6);
  }

  /** How many addresses the set holds, of one family or of both. */
  addressCount(family?: IpFamily): bigint {
    let count = 0n;
    if (family !== 6) {
      let v4 = 0;
      for (let i = 0; i < this.v4.length; i += 2) v4 += this.v4[i + 1]! - this.v4[i]! + 1;
      count += BigInt(v4);
    }
    if (family !== 4) {
      for (let i = 0; i < this.v6.length; i += 8) count += bigintAt(this.v6, i + 4) - bigintAt(this.v6, i) + 1n;
    }
    return count;
  }

  /** The merged intervals, IPv4 before IPv6, ascending. */
  ranges(): IpRange[] {
    const out: IpRange[] = [];
    for (let i = 0; i < this.v4.length; i += 2) out.push({ family: 4, first: this.v4[i]!, last: this.v4[i + 1]! });
    for (let i = 0; i < this.v6.length; i += 8) out.push({ family: 6, first: bigintAt(this.v6, i), last: bigintAt(this.v6, i + 4) });
    return out;
  }

  /** The minimal CIDR cover: IPv4 before IPv6, each family in ascending address order. */
  toCidrs(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.v4.length; i += 2) ipv4Cidrs(this.v4[i]!, this.v4[i + 1]!, out);
    for (let i = 0; i < this.v6.length; i += 8) ipv6CidrsOfWords(this.v6, i, out);
    return out;
  }
}

const probe = new Uint32Array(8);

function bigintAt(words: Uint32Array, offset: number): bigint {
  return wordsToBigint(words[offset]!, words[offset + 1]!, words[offset + 2]!, words[offset + 3]!);
}

/**
 * Collects ranges in flat typed arrays, then orders each family with a radix
 * sort and merges it in one pass. IPv6 stays in 32-bit words until the
 * merged intervals, so a large set makes bigints only for its result.
 */
class Builder {
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

  build(): RangeSet {
    return RangeSet.fromIntervals(this.merge4(), this.merge6());
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

function grow<A extends Float64Array | Uint32Array>(old: A, bigger: A): A {
  bigger.set(old);
  return bigger;
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

function union4(a: V4Intervals, b: V4Intervals): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let first: number;
    let last: number;
    if (j >= b.length || (i < a.length && a[i]! <= b[j]!)) {
      first = a[i]!;
      last = a[i + 1]!;
      i += 2;
    } else {
      first = b[j]!;
      last = b[j + 1]!;
      j += 2;
    }
    const n = out.length;
    if (n > 0 && first <= out[n - 1]! + 1) {
      if (last > out[n - 1]!) out[n - 1] = last;
    } else {
      out.push(first, last);
    }
  }
  return out;
}

function intersect4(a: V4Intervals, b: V4Intervals): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const first = Math.max(a[i]!, b[j]!);
    const last = Math.min(a[i + 1]!, b[j + 1]!);
    if (first <= last) out.push(first, last);
    if (a[i + 1]! < b[j + 1]!) i += 2;
    else j += 2;
  }
  return out;
}

function subtract4(a: V4Intervals, b: V4Intervals): number[] {
  if (a.length === 0 || b.length === 0) return a.slice();
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    let first = a[i]!;
    const last = a[i + 1]!;
    while (j < b.length && b[j + 1]! < first) j += 2;
    for (let k = j; k < b.length && b[k]! <= last; k += 2) {
      if (b[k]! > first) out.push(first, b[k]! - 1);
      first = b[k + 1]! + 1;
      if (first > last) break;
    }
    if (first <= last) out.push(first, last);
  }
  return out;
}

function relation4(intervals: V4Intervals, first: number, last: number): Relation {
  // The last interval starting at or before `first`.
  let low = 0;
  let high = intervals.length / 2 - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (intervals[2 * mid]! <= first) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  if (found >= 0 && intervals[2 * found + 1]! >= first) return intervals[2 * found + 1]! >= last ? "inside" : "partial";
  const next = 2 * (found + 1);
  return next < intervals.length && intervals[next]! <= last ? "partial" : "outside";
}

/** `to[j..j+3] = from[i..i+3] + 1`; true when it passes the top of the address space. */
function successor(from: Uint32Array, i: number, to: Uint32Array, j: number): boolean {
  let carry = 1;
  for (let k = 3; k >= 0; k--) {
    const sum = from[i + k]! + carry;
    to[j + k] = sum === 2 ** 32 ? 0 : sum;
    carry = sum === 2 ** 32 ? 1 : 0;
  }
  return carry === 1;
}

/** `to[j..j+3] = from[i..i+3] − 1`, for a value above zero. */
function predecessor(from: Uint32Array, i: number, to: Uint32Array, j: number): void {
  let borrow = 1;
  for (let k = 3; k >= 0; k--) {
    const difference = from[i + k]! - borrow;
    to[j + k] = difference < 0 ? 2 ** 32 - 1 : difference;
    borrow = difference < 0 ? 1 : 0;
  }
}

/**
 * Collects IPv6 words in a typed array: words above 2^31 in a plain array
 * would each be a boxed number, which made most of the cost of large sets.
 */
class WordWriter {
  private buffer: Uint32Array;
  private length = 0;

  constructor(capacity: number) {
    this.buffer = new Uint32Array(Math.max(capacity, 8));
  }

  /** Appends the 4 words of `from` at `i`. */
  push4(from: Uint32Array, i: number): void {
    if (this.length + 4 > this.buffer.length) this.buffer = grow(this.buffer, new Uint32Array(this.buffer.length * 2));
    for (let k = 0; k < 4; k++) this.buffer[this.length + k] = from[i + k]!;
    this.length += 4;
  }

  words(): Uint32Array {
    return this.buffer.slice(0, this.length);
  }
}

function union6(a: V6Intervals, b: V6Intervals): V6Intervals {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new WordWriter(a.length + b.length);
  const current = new Uint32Array(8);
  const after = new Uint32Array(4);
  let started = false;
  let atTop = false;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let from: Uint32Array;
    let at: number;
    if (j >= b.length || (i < a.length && compareWords(a, i, b, j) <= 0)) {
      from = a;
      at = i;
      i += 8;
    } else {
      from = b;
      at = j;
      j += 8;
    }
    if (started && (atTop || compareWords(from, at, after, 0) <= 0)) {
      if (compareWords(from, at + 4, current, 4) > 0) {
        for (let k = 4; k < 8; k++) current[k] = from[at + k]!;
        atTop = successor(current, 4, after, 0);
      }
      continue;
    }
    if (started) {
      out.push4(current, 0);
      out.push4(current, 4);
    }
    for (let k = 0; k < 8; k++) current[k] = from[at + k]!;
    atTop = successor(current, 4, after, 0);
    started = true;
  }
  out.push4(current, 0);
  out.push4(current, 4);
  return out.words();
}

function intersect6(a: V6Intervals, b: V6Intervals): V6Intervals {
  const out = new WordWriter(Math.min(a.length, b.length));
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [fa, fi] = compareWords(a, i, b, j) >= 0 ? [a, i] : [b, j];
    const [la, li] = compareWords(a, i + 4, b, j + 4) <= 0 ? [a, i + 4] : [b, j + 4];
    if (compareWords(fa, fi, la, li) <= 0) {
      out.push4(fa, fi);
      out.push4(la, li);
    }
    if (compareWords(a, i + 4, b, j + 4) < 0) i += 8;
    else j += 8;
  }
  return out.words();
}

function subtract6(a: V6Intervals, b: V6Intervals): V6Intervals {
  if (a.length === 0 || b.length === 0) return a;
  const out = new WordWriter(a.length);
  const first = new Uint32Array(4);
  const scratch = new Uint32Array(4);
  let j = 0;
  for (let i = 0; i < a.length; i += 8) {
    for (let k = 0; k < 4; k++) first[k] = a[i + k]!;
    while (j < b.length && compareWords(b, j + 4, first, 0) < 0) j += 8;
    let done = false;
    for (let k = j; k < b.length && compareWords(b, k, a, i + 4) <= 0; k += 8) {
      if (compareWords(b, k, first, 0) > 0) {
        predecessor(b, k, scratch, 0);
        out.push4(first, 0);
        out.push4(scratch, 0);
      }
      if (compareWords(b, k + 4, a, i + 4) >= 0) {
        done = true;
        break;
      }
      successor(b, k + 4, first, 0); // b's interval ends below a's, so this cannot overflow
    }
    if (!done) {
      out.push4(first, 0);
      out.push4(a, i + 4);
    }
  }
  return out.words();
}

function relation6(intervals: V6Intervals, range: Uint32Array): Relation {
  let low = 0;
  let high = intervals.length / 8 - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (compareWords(intervals, 8 * mid, range, 0) <= 0) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  if (found >= 0 && compareWords(intervals, 8 * found + 4, range, 0) >= 0) {
    return compareWords(intervals, 8 * found + 4, range, 4) >= 0 ? "inside" : "partial";
  }
  const next = 8 * (found + 1);
  return next < intervals.length && compareWords(intervals, next, range, 4) <= 0 ? "partial" : "outside";
}

function sameIntervals(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
