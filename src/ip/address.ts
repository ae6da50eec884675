/**
 * IPv4 and IPv6 addresses as numbers: IPv4 as a JavaScript number
 * (exact up to 2^53, so 32 bits need no bigint and stay fast), IPv6 as a
 * bigint. Parsers return `undefined` for text that is not an address so the
 * caller can name the whole entry in its error.
 */

export const IPV4_MAX = 0xffff_ffff;
export const IPV6_MAX = (1n << 128n) - 1n;

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

/**
 * IPv6 in [start, end): full, `::`-compressed, or with an IPv4 tail
 * (`::ffff:192.0.2.1`). Hex groups of one to four digits, any case.
 */
export function parseIPv6(text: string, start = 0, end = text.length): bigint | undefined {
  const groups: number[] = [];
  let gap = -1;
  let i = start;
  if (end - start < 2) return undefined;
  if (text.charCodeAt(i) === COLON) {
    if (text.charCodeAt(i + 1) !== COLON) return undefined;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    let value = 0;
    let digits = 0;
    let j = i;
    for (; j < end; j++) {
      const d = hexDigit(text.charCodeAt(j));
      if (d < 0) break;
      value = value * 16 + d;
      digits++;
    }
    if (j < end && text.charCodeAt(j) === DOT) {
      // An IPv4 tail takes the last two groups.
      const v4 = parseIPv4(text, i, end);
      if (v4 < 0) return undefined;
      groups.push(Math.floor(v4 / 65536), v4 % 65536);
      i = end;
      break;
    }
    if (digits === 0 || digits > 4) return undefined;
    groups.push(value);
    i = j;
    if (i === end) break;
    if (text.charCodeAt(i) !== COLON) return undefined;
    i++;
    if (text.charCodeAt(i) === COLON) {
      if (gap >= 0) return undefined;
      gap = groups.length;
      i++;
    } else if (i === end) {
      return undefined; // a trailing single colon
    }
  }
  if (gap < 0 ? groups.length !== 8 : groups.length > 7) return undefined;
  if (gap >= 0) groups.splice(gap, 0, ...new Array<number>(8 - groups.length).fill(0));
  // Four 32-bit halves keep the bigint work to a few operations per address.
  return (
    (BigInt(groups[0]! * 65536 + groups[1]!) << 96n) |
    (BigInt(groups[2]! * 65536 + groups[3]!) << 64n) |
    (BigInt(groups[4]! * 65536 + groups[5]!) << 32n) |
    BigInt(groups[6]! * 65536 + groups[7]!)
  );
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

export function formatIPv4(value: number): string {
  return `${Math.floor(value / 16777216)}.${Math.floor(value / 65536) % 256}.${Math.floor(value / 256) % 256}.${value % 256}`;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as `::` (the first on a tie). */
export function formatIPv6(value: bigint): string {
  const groups = new Array<number>(8);
  for (let k = 0; k < 4; k++) {
    const half = Number((value >> BigInt(96 - 32 * k)) & 0xffff_ffffn);
    groups[2 * k] = Math.floor(half / 65536);
    groups[2 * k + 1] = half % 65536;
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
  const hex = (g: number) => g.toString(16);
  if (bestStart < 0) return groups.map(hex).join(":");
  return `${groups.slice(0, bestStart).map(hex).join(":")}::${groups.slice(bestStart + bestLength).map(hex).join(":")}`;
}
