import { InvalidRangeError } from "../errors.js";
import { formatIPv4, formatIPv6, IPV4_MAX, parseIPv4, parseIPv6 } from "./address.js";

export type IpFamily = 4 | 6;

/** An inclusive address range of one family. IPv4 uses numbers, IPv6 bigints. */
export type IpRange = { family: 4; first: number; last: number } | { family: 6; first: bigint; last: bigint };

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
  const text = entry.trim();
  if (text === "") throw new InvalidRangeError(entry, "is empty; expected an IP address, CIDR or range");
  const dash = text.indexOf("-");
  if (dash >= 0) {
    const first = parseAddress(entry, text.slice(0, dash).trim());
    const last = parseAddress(entry, text.slice(dash + 1).trim());
    if (first.family !== last.family) throw new InvalidRangeError(entry, "mixes IPv4 and IPv6 in one range");
    if (last.value < first.value) throw new InvalidRangeError(entry, "ends below its start");
    return first.family === 4
      ? { family: 4, first: first.value as number, last: last.value as number }
      : { family: 6, first: first.value as bigint, last: last.value as bigint };
  }
  const slash = text.indexOf("/");
  if (slash >= 0) return network(entry, text.slice(0, slash), text.slice(slash + 1));
  // Exchange's own mask notation: 192.168.1.0(255.255.255.0).
  const paren = text.indexOf("(");
  if (paren >= 0 && text.endsWith(")")) return network(entry, text.slice(0, paren), text.slice(paren + 1, -1));
  const address = parseAddress(entry, text);
  return address.family === 4
    ? { family: 4, first: address.value as number, last: address.value as number }
    : { family: 6, first: address.value as bigint, last: address.value as bigint };
}

type Address = { family: 4; value: number } | { family: 6; value: bigint };

function parseAddress(entry: string, text: string): Address {
  if (text.includes(":")) {
    // A zone index (fe80::1%eth0) names an interface, not addresses.
    const percent = text.indexOf("%");
    const end = percent >= 0 ? percent : text.length;
    if (percent === 0 || percent === text.length - 1) throw notAnAddress(entry);
    const value = parseIPv6(text, 0, end);
    if (value === undefined) throw notAnAddress(entry);
    return { family: 6, value };
  }
  const value = parseIPv4(text);
  if (value === -2) throw new InvalidRangeError(entry, "has an octet with a leading zero, which tools read differently (octal or decimal)");
  if (value < 0) throw notAnAddress(entry);
  return { family: 4, value };
}

function notAnAddress(entry: string): InvalidRangeError {
  return new InvalidRangeError(entry, "is not an IP address, CIDR or range");
}

function network(entry: string, addressText: string, lengthText: string): IpRange {
  const address = parseAddress(entry, addressText.trim());
  const bits = address.family === 4 ? 32 : 128;
  const prefix = prefixLength(entry, lengthText.trim(), address.family);
  if (prefix > bits) throw new InvalidRangeError(entry, `has a prefix length above ${bits}`);
  if (address.family === 4) {
    const size = 2 ** (32 - prefix);
    const first = address.value - (address.value % size);
    return { family: 4, first, last: first + size - 1 };
  }
  const hostBits = BigInt(128 - prefix);
  const first = (address.value >> hostBits) << hostBits;
  return { family: 6, first, last: first | ((1n << hostBits) - 1n) };
}

function prefixLength(entry: string, text: string, family: IpFamily): number {
  if (/^\d{1,3}$/.test(text)) return Number(text);
  if (family === 4) {
    const mask = parseIPv4(text);
    if (mask >= 0) {
      // A contiguous mask is ones then zeros: its inverse plus one is a power of two.
      const inverse = IPV4_MAX - mask;
      if ((inverse & (inverse + 1)) !== 0) throw new InvalidRangeError(entry, "has a subnet mask that is not contiguous");
      return 32 - Math.log2(inverse + 1);
    }
  }
  throw new InvalidRangeError(entry, `has a prefix length that is not a number from 0 to ${family === 4 ? 32 : 128}`);
}

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

function ipv4Cidrs(first: number, last: number, out: string[]): void {
  while (first <= last) {
    // The largest block aligned at `first` that still ends within the range.
    const aligned = first === 0 ? 2 ** 32 : ((first | 0) & -(first | 0)) >>> 0;
    let size = aligned;
    const remaining = last - first + 1;
    while (size > remaining) size /= 2;
    out.push(`${formatIPv4(first)}/${32 - Math.log2(size)}`);
    first += size;
  }
}

function ipv6Cidrs(first: bigint, last: bigint, out: string[]): void {
  while (first <= last) {
    const remaining = last - first + 1n;
    let size = first === 0n ? 1n << 128n : first & -first;
    while (size > remaining) size >>= 1n;
    out.push(`${formatIPv6(first)}/${128 - bitLength(size) + 1}`);
    first += size;
  }
}

function bitLength(value: bigint): number {
  return value.toString(2).length;
}
