/**
 * Ranges as text: the canonical form of a range and minimal CIDR covers,
 * IPv6 worked out on 32-bit words without bigints.
 */
import { bigintToWords, formatIPv4, formatIPv6, formatIPv6Words } from "./address.js";
import { BLOCK_SIZE, type IpRange } from "./range.js";

/** The canonical text of a range: an address, a CIDR when the range is one block, else `first-last`. */
export function formatRange(range: IpRange): string {
  const cidrs = rangeToCidrs(range);
  if (cidrs.length === 1) return cidrs[0]!;
  return range.family === 4 ? `${formatIPv4(range.first)}-${formatIPv4(range.last)}` : `${formatIPv6(range.first)}-${formatIPv6(range.last)}`;
}

/** The minimal list of CIDR blocks that covers exactly the range, ascending. */
export function rangeToCidrs(range: IpRange, out: string[] = []): string[] {
  if (range.family === 4) ipv4Cidrs(range.first, range.last, out);
  else ipv6Cidrs(range.first, range.last, out);
  return out;
}

export function ipv4Cidrs(first: number, last: number, out: string[]): void {
  while (first <= last) {
    // The largest block aligned at `first` that still ends within the range.
    let size = first === 0 ? 2 ** 32 : ((first | 0) & -(first | 0)) >>> 0;
    const remaining = last - first + 1;
    while (size > remaining) size /= 2;
    out.push(formatIPv4(first, size === 2 ** 32 ? 0 : Math.clz32(size) + 1));
    first += size;
  }
}

function ipv6Cidrs(first: bigint, last: bigint, out: string[]): void {
  bigintToWords(first, rangeWords, 0);
  bigintToWords(last, rangeWords, 4);
  ipv6CidrsOfWords(rangeWords, 0, out);
}

const rangeWords = new Uint32Array(8);

/** The IPv6 cover of the range in 8 words at `offset` (first, then last), without a bigint per block. */
export function ipv6CidrsOfWords(range: Uint32Array, offset: number, out: string[]): void {
  const w = coverWords;
  for (let k = 0; k < 8; k++) w[k] = range[offset + k]!;
  for (;;) {
    // The largest block that is aligned at the first address and no larger than what is left of the range.
    const bits = Math.min(trailingZeros(w), sizeBits(w));
    out.push(formatIPv6Words(w, 0, 128 - bits));
    if (compareBlockEnd(w, bits) === 0 || addPowerOfTwo(w, bits)) return;
  }
}

/** floor(log2(last − first + 1)) for the first (words 0..3) and last (words 4..7) address. */
function sizeBits(w: Uint32Array): number {
  // last − first + 1, word by word from the least significant.
  let borrow = 0;
  let carry = 1;
  for (let k = 3; k >= 0; k--) {
    let difference = w[4 + k]! - w[k]! - borrow;
    borrow = difference < 0 ? 1 : 0;
    if (difference < 0) difference += 2 ** 32;
    const sum = difference + carry;
    carry = sum === 2 ** 32 ? 1 : 0;
    sizeScratch[k] = carry === 1 ? 0 : sum;
  }
  if (carry === 1) return 128; // the whole address space
  for (let k = 0; k < 4; k++) {
    const word = sizeScratch[k]!;
    if (word !== 0) return 32 * (3 - k) + 31 - Math.clz32(word);
  }
  return 0;
}

const sizeScratch = new Uint32Array(4);

const coverWords = new Uint32Array(8);

function trailingZeros(w: Uint32Array): number {
  for (let k = 3; k >= 0; k--) {
    const word = w[k]!;
    if (word !== 0) return 32 * (3 - k) + (31 - Math.clz32(word & -word));
  }
  return 128;
}

/** Compares the end of the block of 2^bits at the first address (words 0..3) with the last address (words 4..7). */
function compareBlockEnd(w: Uint32Array, bits: number): number {
  for (let k = 0; k < 4; k++) {
    const hostBits = Math.min(32, Math.max(0, bits - 32 * (3 - k)));
    const end = w[k]! + BLOCK_SIZE[32 - hostBits]! - 1;
    if (end !== w[4 + k]) return end - w[4 + k]!;
  }
  return 0;
}

/** Adds 2^bits to the first address; true when that passes the top of the address space. */
function addPowerOfTwo(w: Uint32Array, bits: number): boolean {
  if (bits === 128) return true;
  let k = 3 - Math.floor(bits / 32);
  let carry = 2 ** (bits % 32);
  for (; k >= 0 && carry > 0; k--) {
    const sum = w[k]! + carry;
    w[k] = sum % 2 ** 32;
    carry = sum >= 2 ** 32 ? 1 : 0;
  }
  return carry > 0;
}
