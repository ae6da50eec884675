import { describe, expect, it } from "vitest";
import { mdCode, mdText } from "./markdown.js";

describe("mdText", () => {
  it.each([
    ["EX01\\*Inbound*", "EX01\\\\\\*Inbound\\*"],
    ["[click](https://evil.example)", "\\[click\\](https://evil.example)"],
    ["<img src=x onerror=alert(1)>", "\\<img src=x onerror=alert(1)\\>"],
    ["a | b", "a \\| b"],
    ["Tom & Jerry", "Tom &amp; Jerry"],
    ["`code`", "\\`code\\`"],
  ])("makes %j inert", (input, expected) => {
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
