import { describe, expect, it } from "vitest";
import { seeded } from "../../test/support/random.js";
import { InvalidRangeError } from "../errors.js";
import { formatIPv6, parseIPv4, parseIPv6 } from "./address.js";
import { formatRange, rangeToCidrs } from "./cidr.js";
import { type IpRange, parseRange } from "./range.js";

const cidrs = (entry: string) => rangeToCidrs(parseRange(entry));

describe("parseRange", () => {
  it.each([
    ["a bare IPv4 address as a /32", "192.0.2.1", ["192.0.2.1/32"]],
    ["an address with surrounding spaces", " 192.0.2.1 ", ["192.0.2.1/32"]],
    ["the lowest IPv4 address", "0.0.0.0", ["0.0.0.0/32"]],
    ["the highest IPv4 address", "255.255.255.255", ["255.255.255.255/32"]],
    ["an aligned IPv4 CIDR", "192.0.2.0/24", ["192.0.2.0/24"]],
    ["an IPv4 CIDR with host bits set as its network", "192.0.2.77/24", ["192.0.2.0/24"]],
    ["the whole IPv4 space as /0", "0.0.0.0/0", ["0.0.0.0/0"]],
    ["a dotted subnet mask after a slash", "192.0.2.0/255.255.255.0", ["192.0.2.0/24"]],
    ["a subnet mask in parentheses, as Exchange writes it", "192.0.2.0(255.255.255.128)", ["192.0.2.0/25"]],
    ["an all-zero mask as /0", "10.0.0.0/0.0.0.0", ["0.0.0.0/0"]],
    ["an unaligned IPv4 range as its minimal cover", "192.0.2.10-192.0.2.20", ["192.0.2.10/31", "192.0.2.12/30", "192.0.2.16/30", "192.0.2.20/32"]],
    ["a range with spaces around the dash", "192.0.2.0 - 192.0.2.255", ["192.0.2.0/24"]],
    ["a range that is exactly one block as that block", "213.199.154.0-213.199.154.255", ["213.199.154.0/24"]],
    ["the full IPv4 range as /0", "0.0.0.0-255.255.255.255", ["0.0.0.0/0"]],
    ["a compressed IPv6 address as a /128", "2001:db8::1", ["2001:db8::1/128"]],
    ["an upper-case, uncompressed IPv6 address in RFC 5952 form", "2001:DB8:0:0:0:0:0:1", ["2001:db8::1/128"]],
    ["an aligned IPv6 CIDR", "2a01:111:f403::/48", ["2a01:111:f403::/48"]],
    ["an IPv6 CIDR with host bits set as its network", "2a01:111:f403:c000::1/64", ["2a01:111:f403:c000::/64"]],
    ["the whole IPv6 space as /0", "::/0", ["::/0"]],
    ["the unspecified address ::", "::", ["::/128"]],
    ["the loopback ::1 (compression at the start)", "::1", ["::1/128"]],
    ["1:: (compression at the end)", "1::", ["1::/128"]],
    ["an address with a zone id, dropping the zone", "fe80::1%eth0", ["fe80::1/128"]],
    ["a numeric zone id before a prefix length", "fe80::1%12/64", ["fe80::/64"]],
    ["an IPv4-mapped address with a dotted tail", "::ffff:192.0.2.1", ["::ffff:c000:201/128"]],
    ["a dotted IPv4 tail with a prefix length", "64:ff9b::192.0.2.0/120", ["64:ff9b::c000:200/120"]],
    ["an IPv6 range that is one block", "2001:db8::-2001:db8::ff", ["2001:db8::/120"]],
    [
      "an IPv6 range at the very top of the space",
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
      ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124"],
    ],
    ["the full IPv6 range as /0", "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ["::/0"]],
  ])("reads %s: %j", (_name, entry, expected) => {
    expect(cidrs(entry)).toEqual(expected);
  });

  it.each([
    ["an empty entry", "", "is empty"],
    ["an entry of spaces only", "   ", "is empty"],
    ["a host name", "mail.contoso.com", "is not an IP address, CIDR or range"],
    ["three octets", "192.0.2", "is not an IP address, CIDR or range"],
    ["five octets", "192.0.2.1.5", "is not an IP address, CIDR or range"],
    ["an octet above 255", "192.0.2.256", "is not an IP address, CIDR or range"],
    ["a negative octet", "192.0.2.-1", "is not an IP address, CIDR or range"],
    ["an empty octet", "192.0..1", "is not an IP address, CIDR or range"],
    ["an octet with a leading zero", "192.0.2.01", "has an octet with a leading zero"],
    ["an IPv4 prefix length above 32", "192.0.2.0/33", "has a prefix length above 32"],
    ["an IPv6 prefix length above 128", "2001:db8::/129", "has a prefix length above 128"],
    ["an empty prefix length", "192.0.2.0/", "has a prefix length that is not a number from 0 to 32"],
    ["a prefix length that is not a number", "192.0.2.0/x", "has a prefix length that is not a number from 0 to 32"],
    ["a negative prefix length", "192.0.2.0/-1", "is not an IP address"],
    ["a subnet mask that is not contiguous", "192.0.2.0/255.0.255.0", "has a subnet mask that is not contiguous"],
    ["an IPv4 range that ends below its start", "192.0.2.20-192.0.2.10", "ends below its start"],
    ["an IPv6 range that ends below its start", "2001:db8::2-2001:db8::1", "ends below its start"],
    ["a range from IPv4 to IPv6", "192.0.2.1-2001:db8::1", "mixes IPv4 and IPv6"],
    ["three colons in a row", "2001:db8:::1", "is not an IP address"],
    ["two :: compressions", "2001:db8::1::2", "is not an IP address"],
    ["nine IPv6 groups", "1:2:3:4:5:6:7:8:9", "is not an IP address"],
    ["seven IPv6 groups without ::", "1:2:3:4:5:6:7", "is not an IP address"],
    ["eight groups and ::", "1:2:3:4:5:6:7:8::", "is not an IP address"],
    ["an IPv6 group of five digits", "12345::", "is not an IP address"],
    ["a group with a non-hex digit", "2001:db8::g", "is not an IP address"],
    ["a single leading colon", ":1", "is not an IP address"],
    ["a single trailing colon", "1:", "is not an IP address"],
    ["an empty zone id", "fe80::1%", "is not an IP address"],
    ["a dotted IPv4 tail of three octets", "::ffff:1.2.3", "is not an IP address"],
    ["a dotted tail after seven groups (nine groups in all)", "1:2:3:4:5:6:7:1.2.3.4", "is not an IP address"],
  ])("refuses %s: %j %s", (_name, entry, reason) => {
    let error: unknown;
    try {
      parseRange(entry);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidRangeError);
    expect((error as InvalidRangeError).entry).toBe(entry);
    expect((error as Error).message).toContain(JSON.stringify(entry));
    expect((error as Error).message).toContain(reason);
    expect((error as Error).message).not.toContain("\n");
  });
});

describe("addresses", () => {
  it("round-trips IPv6 through RFC 5952 text", () => {
    expect(formatIPv6(parseIPv6("2001:0db8:0000:0000:0001:0000:0000:0001")!)).toBe("2001:db8::1:0:0:1");
    expect(formatIPv6(parseIPv6("2001:db8:0:1:1:1:1:1")!)).toBe("2001:db8:0:1:1:1:1:1");
    expect(formatIPv6(parseIPv6("0:0:1:0:0:0:1:0")!)).toBe("0:0:1::1:0");
    expect(formatIPv6(parseIPv6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")!)).toBe("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    expect(formatIPv6(0n)).toBe("::");
  });

  it("reads IPv4 exactly at the edges of each octet", () => {
    expect(parseIPv4("1.2.3.4")).toBe(0x01020304);
    expect(parseIPv4("255.255.255.255")).toBe(0xffffffff);
    expect(parseIPv4("0.0.0.0")).toBe(0);
    expect(parseIPv4("00.0.0.0")).toBe(-2);
    expect(parseIPv4("1.2.3.4 ")).toBe(-1);
  });
});

describe("rangeToCidrs", () => {
  it("prints the minimal cover of an unaligned range", () => {
    expect(cidrs("10.0.0.1-10.0.0.254")).toEqual([
      "10.0.0.1/32",
      "10.0.0.2/31",
      "10.0.0.4/30",
      "10.0.0.8/29",
      "10.0.0.16/28",
      "10.0.0.32/27",
      "10.0.0.64/26",
      "10.0.0.128/26",
      "10.0.0.192/27",
      "10.0.0.224/28",
      "10.0.0.240/29",
      "10.0.0.248/30",
      "10.0.0.252/31",
      "10.0.0.254/32",
    ]);
    expect(cidrs("0.0.0.1-255.255.255.255")).toHaveLength(32);
    expect(cidrs("::1-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")).toHaveLength(128);
  });

  it("agrees with a brute-force cover on random IPv4 ranges", () => {
    const random = seeded(7);
    for (let n = 0; n < 2000; n++) {
      const first = Math.floor(random() * 2 ** 32);
      const last = Math.min(2 ** 32 - 1, first + Math.floor(random() * 2 ** Math.floor(random() * 33)));
      const range: IpRange = { family: 4, first, last };
      const blocks = rangeToCidrs(range).map((c) => parseRange(c) as { first: number; last: number });
      // Contiguous, exact, and each block maximal: its parent block would leave the range or be misaligned.
      expect(blocks[0]!.first).toBe(first);
      expect(blocks.at(-1)!.last).toBe(last);
      blocks.forEach((block, i) => {
        if (i > 0) expect(block.first).toBe(blocks[i - 1]!.last + 1);
        const size = block.last - block.first + 1;
        const parentFirst = block.first - (block.first % (size * 2));
        expect(size < 2 ** 32 && parentFirst >= first && parentFirst + size * 2 - 1 <= last).toBe(false);
      });
    }
  });

  it("formats a range as its CIDR when it is one block, else as first-last", () => {
    expect(formatRange(parseRange("192.0.2.0-192.0.2.255"))).toBe("192.0.2.0/24");
    expect(formatRange(parseRange("192.0.2.1-192.0.2.2"))).toBe("192.0.2.1-192.0.2.2");
    expect(formatRange(parseRange("2001:db8::1-2001:db8::2"))).toBe("2001:db8::1-2001:db8::2");
  });
});
