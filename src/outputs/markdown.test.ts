import { describe, expect, it } from "vitest";
import { mdCode, mdText } from "./markdown.js";

describe("mdText", () => {
  it.each([
    ["a backslash and emphasis stars", "EX01\\*Inbound*", "EX01\\\\\\*Inbound\\*"],
    ["link brackets", "[click](https://evil.example)", "\\[click\\](https://evil.example)"],
    ["an HTML tag", "<img src=x onerror=alert(1)>", "\\<img src=x onerror=alert(1)\\>"],
    ["a table-cell pipe", "a | b", "a \\| b"],
    ["an ampersand, as an entity", "Tom & Jerry", "Tom &amp; Jerry"],
    ["backticks of inline code", "`code`", "\\`code\\`"],
  ])("makes %s inert: %j", (_name, input, expected) => {
    expect(mdText(input)).toBe(expected);
  });
});

describe("mdCode", () => {
  it("fences text with backticks in a longer run", () => {
    expect(mdCode("a`b")).toBe("`` a`b ``");
    expect(mdCode("plain")).toBe("`plain`");
  });
  it("escapes pipes only inside table cells", () => {
    expect(mdCode("a|b", true)).toBe("`a\\|b`");
    expect(mdCode("a|b")).toBe("`a|b`");
  });
});
