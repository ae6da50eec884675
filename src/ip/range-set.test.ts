import { describe, expect, it } from "vitest";
import { seeded } from "../../test/support/random.js";
import { InvalidRangeError } from "../errors.js";
import { formatIPv4, formatIPv6 } from "./address.js";
import { parseRange } from "./range.js";
import { RangeSet } from "./range-set.js";

const set = (...entries: string[]) => RangeSet.parse(entries);

describe("RangeSet", () => {
  it("has coverage semantics: adjacent blocks cover their parent", () => {
    const allowlist = set("40.93.0.0/16", "40.92.0.0/16");
    expect(allowlist.covers(set("40.92.0.0/15"))).toBe(true);
    expect(allowlist.toCidrs()).toEqual(["40.92.0.0/15"]);
    expect(allowlist.relation(parseRange("40.92.0.0/15"))).toBe("inside");
    expect(set("40.92.0.0/16").covers(set("40.92.0.0/15"))).toBe(false);
  });

  it("merges overlaps, duplicates and ranges, IPv4 before IPv6, ascending", () => {
    const merged = set("2a01:111:f403::/48", "10.0.0.5", "10.0.0.0/30", "10.0.0.4", "10.0.0.0-10.0.0.3", "2001:db8::/32", "9.255.255.255");
    expect(merged.toCidrs()).toEqual(["9.255.255.255/32", "10.0.0.0/30", "10.0.0.4/31", "2001:db8::/32", "2a01:111:f403::/48"]);
    expect(merged.addressCount(4)).toBe(7n);
    expect(merged.addressCount(6)).toBe(2n ** 96n + 2n ** 80n);
    expect(merged.addressCount()).toBe(7n + 2n ** 96n + 2n ** 80n);
  });

  it("subtracts, intersects and unions at the edges of both families", () => {
    expect(set("0.0.0.0/0").subtract(set("0.0.0.0", "255.255.255.255")).toCidrs()[0]).toBe("0.0.0.1/32");
    expect(set("0.0.0.0/0").subtract(set("0.0.0.0/0")).isEmpty).toBe(true);
    expect(set("::/0").subtract(set("::/1")).toCidrs()).toEqual(["8000::/1"]);
    expect(set("::/0").subtract(set("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")).addressCount()).toBe(2n ** 128n - 1n);
    expect(
      set("10.0.0.0/24", "2001:db8::/64")
        .intersect(set("10.0.0.128/25", "10.0.1.0/24", "2001:db8::/48"))
        .toCidrs(),
    ).toEqual(["10.0.0.128/25", "2001:db8::/64"]);
    expect(set("10.0.0.0/25").union(set("10.0.0.128/25", "::1")).toCidrs()).toEqual(["10.0.0.0/24", "::1/128"]);
    expect(RangeSet.empty.union(set("::1")).equals(set("::1"))).toBe(true);
  });

  it("tells inside, partial and outside", () => {
    const eop = set("40.92.0.0/15", "52.100.0.0/14", "2a01:111:f403::/48");
    expect(eop.relation(parseRange("40.92.4.0/24"))).toBe("inside");
    expect(eop.relation(parseRange("40.91.0.0-40.92.0.255"))).toBe("partial");
    expect(eop.relation(parseRange("40.0.0.0/8"))).toBe("partial");
    expect(eop.relation(parseRange("41.0.0.0/8"))).toBe("outside");
    expect(eop.relation(parseRange("1.0.0.0/8"))).toBe("outside");
    expect(eop.relation(parseRange("2a01:111:f403:1::/64"))).toBe("inside");
    expect(eop.relation(parseRange("2a01:111::/32"))).toBe("partial");
    expect(eop.relation(parseRange("2a01:112::/32"))).toBe("outside");
    expect(RangeSet.empty.relation(parseRange("::/0"))).toBe("outside");
    expect(eop.overlaps(set("52.103.255.255"))).toBe(true);
    expect(eop.overlaps(set("52.104.0.0"))).toBe(false);
  });

  it("places a bad entry at its index", () => {
    expect(() => set("10.0.0.0/8", "10.0.0.0/40")).toThrow(InvalidRangeError);
    expect(() => set("10.0.0.0/8", "10.0.0.0/40")).toThrow(
      expect.objectContaining({ path: "[1]", entry: "10.0.0.0/40", message: '[1]: "10.0.0.0/40" has a prefix length above 32' }),
    );
  });

  // Every operation against a model that enumerates addresses one by one, in
  // a 512-address window of each family (IPv6 at the very top of its space,
  // where bigint edges are), so merging, adjacency and off-by-one all show.
  describe.each([
    { family: 4, format: (offset: number) => formatIPv4(0x0a000000 + offset) },
    { family: 6, format: (offset: number) => formatIPv6((1n << 128n) - 512n + BigInt(offset)) },
  ])("against an address-by-address model (IPv$family)", ({ format }) => {
    const random = seeded(42);
    const randomSet = (): { entries: string[]; model: Set<number> } => {
      const entries: string[] = [];
      const model = new Set<number>();
      const count = Math.floor(random() * 8);
      for (let k = 0; k < count; k++) {
        const first = Math.floor(random() * 512);
        const last = Math.min(511, first + Math.floor(random() * 64));
        entries.push(first === last && random() < 0.5 ? format(first) : `${format(first)}-${format(last)}`);
        for (let a = first; a <= last; a++) model.add(a);
      }
      return { entries, model };
    };
    const members = (rangeSet: RangeSet): number[] => {
      const out: number[] = [];
      for (const cidr of rangeSet.toCidrs()) {
        const range = parseRange(cidr);
        const offset = (v: number | bigint) => (range.family === 4 ? (v as number) - 0x0a000000 : Number((v as bigint) - ((1n << 128n) - 512n)));
        for (let a = offset(range.first); a <= offset(range.last); a++) out.push(a);
      }
      return out;
    };
    const sorted = (model: Set<number>) => [...model].sort((a, b) => a - b);

    it("union, intersect, subtract, covers, relation and the minimal cover agree with it", () => {
      for (let round = 0; round < 300; round++) {
        const a = randomSet();
        const b = randomSet();
        const A = RangeSet.parse(a.entries);
        const B = RangeSet.parse(b.entries);
        expect(members(A)).toEqual(sorted(a.model));
        expect(members(A.union(B))).toEqual(sorted(new Set([...a.model, ...b.model])));
        expect(members(A.intersect(B))).toEqual(sorted(new Set([...a.model].filter((x) => b.model.has(x)))));
        expect(members(A.subtract(B))).toEqual(sorted(new Set([...a.model].filter((x) => !b.model.has(x)))));
        expect(A.covers(B)).toBe([...b.model].every((x) => a.model.has(x)));
        expect(A.overlaps(B)).toBe([...b.model].some((x) => a.model.has(x)));
        expect(A.addressCount()).toBe(BigInt(a.model.size));
        expect(A.union(B).equals(B.union(A))).toBe(true);
        for (const entry of b.entries) {
          const range = parseRange(entry);
          const inRange = members(RangeSet.of([range]));
          const hits = inRange.filter((x) => a.model.has(x)).length;
          expect(A.relation(range)).toBe(hits === inRange.length ? "inside" : hits > 0 ? "partial" : "outside");
        }
        // Minimal: no block's parent block lies wholly inside the set.
        for (const cidr of A.toCidrs()) {
          const [address, length] = cidr.split("/");
          const prefix = Number(length);
          if (prefix === 0) continue;
          const parent = RangeSet.parse([`${address}/${prefix - 1}`]);
          expect(A.covers(parent)).toBe(false);
        }
      }
    });
  });
});
