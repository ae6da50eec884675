import { InvalidRangeError } from "../errors.js";
import { parseRange, rangeToCidrs, type IpFamily, type IpRange } from "./range.js";

/**
 * Sorted, disjoint, non-adjacent intervals flattened as [first0, last0,
 * first1, last1, …]. Adjacent intervals are merged, which gives coverage
 * semantics: 40.92.0.0/16 plus 40.93.0.0/16 is one interval, so it covers
 * 40.92.0.0/15.
 */
type Intervals<T> = readonly T[];

/** `x + 1` and `x - 1` for one family's number type. */
interface Step<T> {
  next(value: T): T;
  previous(value: T): T;
}
const V4: Step<number> = { next: (v) => v + 1, previous: (v) => v - 1 };
const V6: Step<bigint> = { next: (v) => v + 1n, previous: (v) => v - 1n };

/** Where a range stands against a set. */
export type Relation = "inside" | "partial" | "outside";

/**
 * An immutable set of IPv4 and IPv6 addresses. Every operation is a linear
 * merge over the sorted intervals of each family, and IPv4 stays in plain
 * numbers so the common case never touches bigint.
 */
export class RangeSet {
  static readonly empty = new RangeSet([], []);

  private constructor(
    private readonly v4: Intervals<number>,
    private readonly v6: Intervals<bigint>,
  ) {}

  /** Parses entries; a bad one throws InvalidRangeError placed at `[index]`. */
  static parse(entries: readonly string[]): RangeSet {
    const ranges = new Array<IpRange>(entries.length);
    for (let i = 0; i < entries.length; i++) {
      try {
        ranges[i] = parseRange(entries[i]!);
      } catch (error) {
        if (error instanceof InvalidRangeError) throw error.at({ path: `[${i}]` });
        throw error;
      }
    }
    return RangeSet.of(ranges);
  }

  static of(ranges: Iterable<IpRange>): RangeSet {
    const firsts4: number[] = [];
    const lasts4: number[] = [];
    const v6: IpRange[] = [];
    for (const range of ranges) {
      if (range.family === 4) {
        firsts4.push(range.first);
        lasts4.push(range.last);
      } else {
        v6.push(range);
      }
    }
    return new RangeSet(normaliseV4(firsts4, lasts4), normaliseV6(v6));
  }

  get isEmpty(): boolean {
    return this.v4.length === 0 && this.v6.length === 0;
  }

  union(other: RangeSet): RangeSet {
    return new RangeSet(union(this.v4, other.v4, V4), union(this.v6, other.v6, V6));
  }

  intersect(other: RangeSet): RangeSet {
    return new RangeSet(intersect(this.v4, other.v4), intersect(this.v6, other.v6));
  }

  subtract(other: RangeSet): RangeSet {
    return new RangeSet(subtract(this.v4, other.v4, V4), subtract(this.v6, other.v6, V6));
  }

  /** Every address of `other` is in this set. */
  covers(other: RangeSet): boolean {
    return other.subtract(this).isEmpty;
  }

  overlaps(other: RangeSet): boolean {
    return !this.intersect(other).isEmpty;
  }

  /** Whether a range lies wholly inside the set, partly, or not at all; a binary search. */
  relation(range: IpRange): Relation {
    return range.family === 4 ? relation(this.v4, range.first, range.last) : relation(this.v6, range.first, range.last);
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
    if (family !== 4) for (let i = 0; i < this.v6.length; i += 2) count += this.v6[i + 1]! - this.v6[i]! + 1n;
    return count;
  }

  /** The merged intervals, IPv4 before IPv6, ascending. */
  ranges(): IpRange[] {
    const out: IpRange[] = [];
    for (let i = 0; i < this.v4.length; i += 2) out.push({ family: 4, first: this.v4[i]!, last: this.v4[i + 1]! });
    for (let i = 0; i < this.v6.length; i += 2) out.push({ family: 6, first: this.v6[i]!, last: this.v6[i + 1]! });
    return out;
  }

  /** The minimal CIDR cover: IPv4 before IPv6, each family in ascending address order. */
  toCidrs(): string[] {
    const out: string[] = [];
    for (const range of this.ranges()) rangeToCidrs(range, out);
    return out;
  }
}

/** Above this many entries the packed sort key (first × 2^21 + index) would lose precision. */
const PACKED_SORT_LIMIT = 2 ** 21;

function normaliseV4(firsts: number[], lasts: number[]): number[] {
  const n = firsts.length;
  const out: number[] = [];
  if (n === 0) return out;
  // Sorting one Float64Array of packed keys natively is several times faster than sorting objects with a comparator.
  let order: ArrayLike<number>;
  if (n <= PACKED_SORT_LIMIT) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = firsts[i]! * PACKED_SORT_LIMIT + i;
    keys.sort();
    for (let i = 0; i < n; i++) keys[i] = keys[i]! % PACKED_SORT_LIMIT;
    order = keys;
  } else {
    order = Array.from(firsts.keys()).sort((a, b) => firsts[a]! - firsts[b]!);
  }
  let first = firsts[order[0]!]!;
  let last = lasts[order[0]!]!;
  for (let k = 1; k < n; k++) {
    const i = order[k]!;
    const f = firsts[i]!;
    if (f > last + 1) {
      out.push(first, last);
      first = f;
      last = lasts[i]!;
    } else if (lasts[i]! > last) {
      last = lasts[i]!;
    }
  }
  out.push(first, last);
  return out;
}

function normaliseV6(ranges: IpRange[]): bigint[] {
  const out: bigint[] = [];
  if (ranges.length === 0) return out;
  const sorted = (ranges as { first: bigint; last: bigint }[]).sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  let { first, last } = sorted[0]!;
  for (let k = 1; k < sorted.length; k++) {
    const range = sorted[k]!;
    if (range.first > last + 1n) {
      out.push(first, last);
      ({ first, last } = range);
    } else if (range.last > last) {
      last = range.last;
    }
  }
  out.push(first, last);
  return out;
}

function union<T extends number | bigint>(a: Intervals<T>, b: Intervals<T>, step: Step<T>): T[] {
  if (a.length === 0) return b.slice();
  if (b.length === 0) return a.slice();
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let first: T;
    let last: T;
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
    if (n > 0 && first <= step.next(out[n - 1]!)) {
      if (last > out[n - 1]!) out[n - 1] = last;
    } else {
      out.push(first, last);
    }
  }
  return out;
}

function intersect<T extends number | bigint>(a: Intervals<T>, b: Intervals<T>): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const first = a[i]! > b[j]! ? a[i]! : b[j]!;
    const last = a[i + 1]! < b[j + 1]! ? a[i + 1]! : b[j + 1]!;
    if (first <= last) out.push(first, last);
    if (a[i + 1]! < b[j + 1]!) i += 2;
    else j += 2;
  }
  return out;
}

function subtract<T extends number | bigint>(a: Intervals<T>, b: Intervals<T>, step: Step<T>): T[] {
  if (a.length === 0 || b.length === 0) return a.slice();
  const out: T[] = [];
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    let first = a[i]!;
    const last = a[i + 1]!;
    while (j < b.length && b[j + 1]! < first) j += 2;
    let k = j;
    while (k < b.length && b[k]! <= last) {
      if (b[k]! > first) out.push(first, step.previous(b[k]!));
      if (b[k + 1]! >= last) {
        first = step.next(last);
        break;
      }
      first = step.next(b[k + 1]!);
      k += 2;
    }
    if (first <= last) out.push(first, last);
  }
  return out;
}

function relation<T extends number | bigint>(intervals: Intervals<T>, first: T, last: T): Relation {
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

function sameIntervals<T>(a: Intervals<T>, b: Intervals<T>): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
