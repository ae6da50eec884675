import { InvalidRangeError } from "../errors.js";
import { IPV4_MAX, parseIPv4, parseIPv6Words, wordsToBigint } from "./address.js";

export type IpFamily = 4 | 6;

/** An inclusive address range of one family. IPv4 uses numbers, IPv6 bigints. */
export type IpRange = { family: 4; first: number; last: number } | { family: 6; first: bigint; last: bigint };

/**
 * What the parser found, written into one reused object so that building a
 * set of 200,000 entries allocates no intermediate ranges. Only the fields
 * of `family` are meaningful.
 */
export interface ParsedRange {
  family: IpFamily;
  first4: number;
  last4: number;
  /** IPv6 as 32-bit words, most significant first: [0..3] the first address, [4..7] the last. */
  v6: Uint32Array;
}

/** A fresh result buffer for parseRangeInto. */
export function parsedRange(): ParsedRange {
  return { family: 4, first4: 0, last4: 0, v6: new Uint32Array(8) };
}

/**
 * Parses one entry in any form Exchange's RemoteIPRanges or a firewall
 * allowlist uses:
 *
 *   192.0.2.1                 2001:db8::1       fe80::1%eth0 (zone dropped)
 *   192.0.2.0/24              2001:db8::/32     192.0.2.7/24 (host bits ignored)
 *   192.0.2.0/255.255.255.0   192.0.2.0(255.255.255.0)
 *   192.0.2.10-192.0.2.20     2001:db8::1-2001:db8::ff
 *
 * Throws InvalidRangeError saying what is wrong with the entry.
 */
export function parseRange(entry: string): IpRange {
  const p = parseRangeInto(entry, scratch);
  if (p.family === 4) return { family: 4, first: p.first4, last: p.last4 };
  const w = p.v6;
  return { family: 6, first: wordsToBigint(w[0]!, w[1]!, w[2]!, w[3]!), last: wordsToBigint(w[4]!, w[5]!, w[6]!, w[7]!) };
}

const scratch = parsedRange();

/** parseRange without the allocation: fills and returns `out`. */
export function parseRangeInto(entry: string, out: ParsedRange): ParsedRange {
  if (ipv4Fast(entry, out) || ipv6Fast(entry, out)) return out;
  const text = entry.trim();
  if (text === "") throw new InvalidRangeError(entry, "is empty; expected an IP address, CIDR or range");
  const dash = text.indexOf("-");
  if (dash >= 0) {
    const firstText = text.slice(0, dash).trim();
    const lastText = text.slice(dash + 1).trim();
    const family = familyOf(firstText);
    if (family !== familyOf(lastText)) throw new InvalidRangeError(entry, "mixes IPv4 and IPv6 in one range");
    out.family = family;
    if (family === 4) {
      out.first4 = ipv4(entry, firstText);
      out.last4 = ipv4(entry, lastText);
      if (out.last4 < out.first4) throw new InvalidRangeError(entry, "ends below its start");
    } else {
      ipv6(entry, firstText, words);
      out.v6.set(words, 0);
      ipv6(entry, lastText, words);
      out.v6.set(words, 4);
      if (compareWords(out.v6, 4, out.v6, 0) < 0) throw new InvalidRangeError(entry, "ends below its start");
    }
    return out;
  }
  const slash = text.indexOf("/");
  if (slash >= 0) return network(entry, text.slice(0, slash).trim(), text.slice(slash + 1).trim(), out);
  // Exchange's own mask notation: 192.168.1.0(255.255.255.0).
  const paren = text.indexOf("(");
  if (paren >= 0 && text.endsWith(")")) return network(entry, text.slice(0, paren).trim(), text.slice(paren + 1, -1).trim(), out);
  return network(entry, text, undefined, out);
}

const words = new Uint32Array(4);
/** 2^(32 − prefix): the size of an IPv4 block by prefix length. */
/** Addresses in an IPv4 block of each prefix length (also a 32-bit word's share of an IPv6 block). */
export const BLOCK_SIZE = Array.from({ length: 33 }, (_, prefix) => 2 ** (32 - prefix));

/**
 * The common case, `a.b.c.d` or `a.b.c.d/len`, in one pass over the text.
 * Anything else, including every malformed entry, goes to the general parser,
 * which words the error.
 */
function ipv4Fast(text: string, out: ParsedRange): boolean {
  const n = text.length;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  let i = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return false;
      octet = octet * 10 + c - 48;
      if (++digits > 3) return false;
    } else if (c === 46) {
      if (digits === 0 || dots === 3 || octet > 255) return false;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c === 47) {
      break;
    } else {
      return false;
    }
  }
  if (dots !== 3 || digits === 0 || octet > 255) return false;
  value = value * 256 + octet;
  let prefix = 32;
  if (i < n) {
    if (n - i < 2 || n - i > 3) return false;
    prefix = 0;
    for (let j = i + 1; j < n; j++) {
      const c = text.charCodeAt(j);
      if (c < 48 || c > 57) return false;
      prefix = prefix * 10 + c - 48;
    }
    if (prefix > 32) return false;
  }
  const size = BLOCK_SIZE[prefix]!;
  out.family = 4;
  out.first4 = value - (value % size);
  out.last4 = out.first4 + size - 1;
  return true;
}

/** Compares the 128-bit values at word offsets `i` of `a` and `j` of `b`. */
export function compareWords(a: Uint32Array, i: number, b: Uint32Array, j: number): number {
  for (let k = 0; k < 4; k++) {
    const d = a[i + k]! - b[j + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** `2001:db8::1` or `2001:db8::/32` with nothing around it; anything else goes to the general parser. */
function ipv6Fast(text: string, out: ParsedRange): boolean {
  const slash = text.indexOf("/");
  const end = slash < 0 ? text.length : slash;
  if (!parseIPv6Words(text, 0, end, words)) return false;
  let prefix = 128;
  if (slash >= 0) {
    const digits = text.length - slash - 1;
    if (digits < 1 || digits > 3) return false;
    prefix = 0;
    for (let j = slash + 1; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (c < 48 || c > 57) return false;
      prefix = prefix * 10 + c - 48;
    }
    if (prefix > 128) return false;
  }
  maskIPv6(prefix, out);
  return true;
}

/** Fills `out` with the block of `prefix` around the address in `words`. */
function maskIPv6(prefix: number, out: ParsedRange): void {
  out.family = 6;
  for (let k = 0; k < 4; k++) {
    const size = BLOCK_SIZE[Math.min(32, Math.max(0, prefix - 32 * k))]!;
    out.v6[k] = words[k]! - (words[k]! % size);
    out.v6[k + 4] = out.v6[k]! + size - 1;
  }
}

function familyOf(text: string): IpFamily {
  return text.includes(":") ? 6 : 4;
}

function ipv4(entry: string, text: string): number {
  const value = parseIPv4(text);
  if (value === -2) throw new InvalidRangeError(entry, "has an octet with a leading zero, which tools read differently (octal or decimal)");
  if (value < 0) throw notAnAddress(entry);
  return value;
}

function ipv6(entry: string, text: string, into: Uint32Array): void {
  // A zone index (fe80::1%eth0) names an interface, not addresses.
  const percent = text.indexOf("%");
  if (percent === 0 || percent === text.length - 1) throw notAnAddress(entry);
  if (!parseIPv6Words(text, 0, percent >= 0 ? percent : text.length, into)) throw notAnAddress(entry);
}

function notAnAddress(entry: string): InvalidRangeError {
  return new InvalidRangeError(entry, "is not an IP address, CIDR or range");
}

/** An address with an optional prefix length or mask; host bits are dropped. */
function network(entry: string, addressText: string, lengthText: string | undefined, out: ParsedRange): ParsedRange {
  if (familyOf(addressText) === 4) {
    const value = ipv4(entry, addressText);
    const size = BLOCK_SIZE[lengthText === undefined ? 32 : prefixLength(entry, lengthText, 4)]!;
    out.family = 4;
    out.first4 = value - (value % size);
    out.last4 = out.first4 + size - 1;
    return out;
  }
  ipv6(entry, addressText, words);
  const prefix = lengthText === undefined ? 128 : prefixLength(entry, lengthText, 6);
  maskIPv6(prefix, out);
  return out;
}

function prefixLength(entry: string, text: string, family: IpFamily): number {
  const bits = family === 4 ? 32 : 128;
  if (/^\d{1,3}$/.test(text)) {
    const prefix = Number(text);
    if (prefix > bits) throw new InvalidRangeError(entry, `has a prefix length above ${bits}`);
    return prefix;
  }
  if (family === 4) {
    const mask = parseIPv4(text);
    if (mask >= 0) {
      // A contiguous mask is ones then zeros: its inverse plus one is a power of two.
      const inverse = IPV4_MAX - mask;
      if ((inverse & (inverse + 1)) !== 0) throw new InvalidRangeError(entry, "has a subnet mask that is not contiguous");
      return 32 - Math.log2(inverse + 1);
    }
  }
  throw new InvalidRangeError(entry, `has a prefix length that is not a number from 0 to ${bits}`);
}
