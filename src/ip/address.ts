/**
 * IPv4 and IPv6 addresses as numbers: IPv4 as a JavaScript number
 * (exact up to 2^53, so 32 bits need no bigint and stay fast), IPv6 as a
 * bigint. Parsers return `undefined` for text that is not an address so the
 * caller can name the whole entry in its error.
 */

export const IPV4_MAX = 0xffff_ffff;

const DOT = 46;
const COLON = 58;
const ZERO = 48;

/**
 * Dotted-quad IPv4 in [start, end). Leading zeros are refused: `010.1.1.1`
 * is 8.1.1.1 to some tools and 10.1.1.1 to others. Returns -1 when the text
 * is not an IPv4 address and -2 when an octet has a leading zero.
 */
export function parseIPv4(text: string, start = 0, end = text.length): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  let leadingZero = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === DOT) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= ZERO && c <= ZERO + 9) {
      if (digits === 1 && octet === 0) leadingZero = true;
      octet = octet * 10 + (c - ZERO);
      if (++digits > 3 || octet > 255) return -1;
    } else {
      return -1;
    }
  }
  if (digits === 0 || dots !== 3) return -1;
  return leadingZero ? -2 : value * 256 + octet;
}

// Scratch space: parsing is synchronous, so one buffer serves every call.
const groups = new Array<number>(8).fill(0);
const view = new DataView(new ArrayBuffer(16));

/**
 * IPv6 in [start, end) into four 32-bit words, most significant first: full,
 * `::`-compressed, or with an IPv4 tail (`::ffff:192.0.2.1`). Hex groups of
 * one to four digits, any case. Returns false when the text is not IPv6.
 */
export function parseIPv6Words(text: string, start: number, end: number, words: Uint32Array): boolean {
  let count = 0;
  let gap = -1;
  let i = start;
  if (end - start < 2) return false;
  if (text.charCodeAt(i) === COLON) {
    if (text.charCodeAt(i + 1) !== COLON) return false;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    let value = 0;
    let j = i;
    for (; j < end; j++) {
      const d = hexDigit(text.charCodeAt(j));
      if (d < 0) break;
      value = value * 16 + d;
    }
    if (j < end && text.charCodeAt(j) === DOT) {
      // An IPv4 tail takes the last two groups.
      const v4 = parseIPv4(text, i, end);
      if (v4 < 0 || count > 6) return false;
      groups[count++] = Math.floor(v4 / 65536);
      groups[count++] = v4 % 65536;
      break;
    }
    if (j === i || j - i > 4 || count === 8) return false;
    groups[count++] = value;
    i = j;
    if (i === end) break;
    if (text.charCodeAt(i) !== COLON) return false;
    i++;
    if (text.charCodeAt(i) === COLON) {
      if (gap >= 0) return false;
      gap = count;
      i++;
    } else if (i === end) {
      return false; // a trailing single colon
    }
  }
  if (gap < 0 ? count !== 8 : count > 7) return false;
  if (gap >= 0) {
    // Move the groups after `::` to the end and fill the gap with zeros.
    const shift = 8 - count;
    for (let k = count - 1; k >= gap; k--) groups[k + shift] = groups[k]!;
    for (let k = gap; k < gap + shift; k++) groups[k] = 0;
  }
  for (let k = 0; k < 4; k++) words[k] = groups[2 * k]! * 65536 + groups[2 * k + 1]!;
  return true;
}

/** Four 32-bit words as one bigint, with two bigint reads instead of a dozen bigint operations. */
export function wordsToBigint(w0: number, w1: number, w2: number, w3: number): bigint {
  view.setUint32(0, w0);
  view.setUint32(4, w1);
  view.setUint32(8, w2);
  view.setUint32(12, w3);
  return (view.getBigUint64(0) << 64n) | view.getBigUint64(8);
}

/** The inverse of wordsToBigint: writes the four words of `value` at `offset`. */
export function bigintToWords(value: bigint, into: Uint32Array, offset: number): void {
  view.setBigUint64(0, value >> 64n);
  view.setBigUint64(8, value & 0xffff_ffff_ffff_ffffn);
  for (let k = 0; k < 4; k++) into[offset + k] = view.getUint32(4 * k);
}

const scratchWords = new Uint32Array(4);

export function parseIPv6(text: string, start = 0, end = text.length): bigint | undefined {
  if (!parseIPv6Words(text, start, end, scratchWords)) return undefined;
  return wordsToBigint(scratchWords[0]!, scratchWords[1]!, scratchWords[2]!, scratchWords[3]!);
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const HEX_DIGITS = "0123456789abcdef";
/** Characters of one text being formatted: at most 39 for the address and 4 for `/128`. */
const chars = new Uint16Array(48);
/** chars.subarray(0, n) for every n, made once: a view per call would be garbage per address. */
const charViews = Array.from({ length: chars.length + 1 }, (_, n) => chars.subarray(0, n) as unknown as number[]);

/** Dotted-quad text, with `/prefix` when given; one flat string, as for IPv6. */
export function formatIPv4(value: number, prefix?: number): string {
  let n = 0;
  for (let shift = 24; shift >= 0; shift -= 8) {
    const octet = (value >>> shift) & 255;
    if (octet >= 100) chars[n++] = ZERO + Math.floor(octet / 100);
    if (octet >= 10) chars[n++] = ZERO + (Math.floor(octet / 10) % 10);
    chars[n++] = ZERO + (octet % 10);
    if (shift > 0) chars[n++] = DOT;
  }
  if (prefix !== undefined) n = writePrefix(prefix, n);
  return String.fromCharCode.apply(null, charViews[n]!);
}

function writePrefix(prefix: number, at: number): number {
  let n = at;
  chars[n++] = 47; // "/"
  if (prefix >= 100) chars[n++] = ZERO + Math.floor(prefix / 100);
  if (prefix >= 10) chars[n++] = ZERO + (Math.floor(prefix / 10) % 10);
  chars[n++] = ZERO + (prefix % 10);
  return n;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as `::` (the first on a tie). */
export function formatIPv6(value: bigint): string {
  bigintToWords(value, scratchWords, 0);
  return formatIPv6Words(scratchWords, 0);
}

/**
 * formatIPv6 of the four words at `offset`, with `/prefix` when given. Built
 * as character codes and turned into one flat string, because concatenating
 * groups made most of the garbage when printing a large cover.
 */
export function formatIPv6Words(words: Uint32Array, offset: number, prefix?: number): string {
  for (let k = 0; k < 4; k++) {
    groups[2 * k] = words[offset + k]! >>> 16;
    groups[2 * k + 1] = words[offset + k]! & 0xffff;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let k = 0; k < 8; ) {
    if (groups[k] !== 0) {
      k++;
      continue;
    }
    let end = k;
    while (end < 8 && groups[end] === 0) end++;
    if (end - k > bestLength) {
      bestStart = k;
      bestLength = end - k;
    }
    k = end;
  }
  let n = 0;
  let separate = false;
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      chars[n++] = COLON;
      chars[n++] = COLON;
      k += bestLength - 1;
      separate = false;
      continue;
    }
    if (separate) chars[n++] = COLON;
    separate = true;
    const g = groups[k]!;
    if (g >= 0x1000) chars[n++] = HEX_DIGITS.charCodeAt(g >>> 12);
    if (g >= 0x100) chars[n++] = HEX_DIGITS.charCodeAt((g >>> 8) & 15);
    if (g >= 0x10) chars[n++] = HEX_DIGITS.charCodeAt((g >>> 4) & 15);
    chars[n++] = HEX_DIGITS.charCodeAt(g & 15);
  }
  if (prefix !== undefined) n = writePrefix(prefix, n);
  return String.fromCharCode.apply(null, charViews[n]!);
}
