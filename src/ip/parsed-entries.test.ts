import { describe, expect, it } from "vitest";
import { InvalidRangeError } from "../errors.js";
import { ParsedEntries } from "./parsed-entries.js";
import { RangeSet } from "./range-set.js";

describe("ParsedEntries", () => {
  const entries = ["192.0.2.1", "10.0.0.0/8", "2001:db8::/32", "fe80::1%eth0", "198.51.100.10-198.51.100.20", "2001:db8::1-2001:db8::ff"];

  it("builds the same set as parsing the text, and hands out every entry in order", () => {
    const parsed = ParsedEntries.parse(entries);
    expect(RangeSet.fromParsed(parsed).equals(RangeSet.parse(entries))).toBe(true);
    const seen: string[] = [];
    parsed.forEach((range, i) => {
      seen.push(`${i}:${range.family}`);
    });
    expect(seen).toEqual(["0:4", "1:4", "2:6", "3:6", "4:4", "5:6"]);
  });

  it("parses a list once: the same list is answered from the first parse, another list is parsed anew", () => {
    const first = ParsedEntries.parse(entries);
    expect(ParsedEntries.parse(entries)).toBe(first);
    expect(ParsedEntries.parse([...entries])).not.toBe(first);
  });

  it("names the bad entry by its index", () => {
    expect(() => ParsedEntries.parse(["10.0.0.1", "10.0.0.0/33"])).toThrow(expect.objectContaining({ name: "InvalidRangeError", path: "[1]" }));
    expect(() => ParsedEntries.parse(["nope"])).toThrow(InvalidRangeError);
  });
});
