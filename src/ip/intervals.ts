/**
 * Set algebra on sorted, disjoint, non-adjacent intervals, one linear merge
 * each: IPv4 as flat numbers [first0, last0, …], IPv6 as 32-bit words, 8 per
 * interval (first address, then last, most significant word first).
 */
import { compareWords } from "./range.js";

export type V4Intervals = readonly number[];
export type V6Intervals = Uint32Array;

/** Where a range stands against a set. */
export type Relation = "inside" | "partial" | "outside";

export function union4(a: V4Intervals, b: V4Intervals): number[] {
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

export function intersect4(a: V4Intervals, b: V4Intervals): number[] {
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

export function subtract4(a: V4Intervals, b: V4Intervals): number[] {
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

export function relation4(intervals: V4Intervals, first: number, last: number): Relation {
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
export function successor(from: Uint32Array, i: number, to: Uint32Array, j: number): boolean {
  let carry = 1;
  for (let k = 3; k >= 0; k--) {
    const sum = from[i + k]! + carry;
    to[j + k] = sum === 2 ** 32 ? 0 : sum;
    carry = sum === 2 ** 32 ? 1 : 0;
  }
  return carry === 1;
}

/** `to[j..j+3] = from[i..i+3] − 1`, for a value above zero. */
export function predecessor(from: Uint32Array, i: number, to: Uint32Array, j: number): void {
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
export class WordWriter {
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

export function union6(a: V6Intervals, b: V6Intervals): V6Intervals {
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

export function intersect6(a: V6Intervals, b: V6Intervals): V6Intervals {
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

export function subtract6(a: V6Intervals, b: V6Intervals): V6Intervals {
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

export function relation6(intervals: V6Intervals, range: Uint32Array): Relation {
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

export function sameIntervals(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A typed array twice as long, with the old one's contents. */
export function grow<A extends Float64Array | Uint32Array>(old: A, bigger: A): A {
  bigger.set(old);
  return bigger;
}
