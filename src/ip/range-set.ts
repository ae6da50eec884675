import { InvalidRangeError } from "../errors.js";
import { bigintToWords, wordsToBigint } from "./address.js";
import { ipv4Cidrs, ipv6CidrsOfWords } from "./cidr.js";
import {
  intersect4,
  intersect6,
  type Relation,
  relation4,
  relation6,
  sameIntervals,
  subtract4,
  subtract6,
  union4,
  union6,
  type V4Intervals,
  type V6Intervals,
} from "./intervals.js";
import type { ParsedEntries } from "./parsed-entries.js";
import { type IpFamily, type IpRange, type ParsedRange, parsedRange, parseRangeInto } from "./range.js";
import { IntervalBuilder } from "./set-builder.js";

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
    const builder = new IntervalBuilder(entries.length);
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
    return RangeSet.built(builder);
  }

  /** The same from entries parsed before (the inventory's validation parsed them). */
  static fromParsed(entries: ParsedEntries, visit?: (parsed: ParsedRange, index: number) => void): RangeSet {
    const builder = new IntervalBuilder(entries.length);
    entries.forEach((parsed, i) => {
      builder.add(parsed);
      visit?.(parsed, i);
    });
    return RangeSet.built(builder);
  }

  /** Collects parsed ranges into a set, for callers that already hold them parsed. */
  static builder(): { add(parsed: ParsedRange): void; build(): RangeSet } {
    const builder = new IntervalBuilder(0);
    return { add: (parsed) => builder.add(parsed), build: () => RangeSet.built(builder) };
  }

  static of(ranges: Iterable<IpRange>): RangeSet {
    const builder = new IntervalBuilder(0);
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
    return RangeSet.built(builder);
  }

  private static built(builder: IntervalBuilder): RangeSet {
    const { v4, v6 } = builder.build();
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
