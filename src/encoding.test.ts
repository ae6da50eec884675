import { describe, expect, it } from "vitest";
import { decodeText } from "./encoding.js";
import { InputError } from "./errors.js";

const json = '{\r\n  "tenant": "contoso.onmicrosoft.com",\r\n  "name": "Empfangsconnector Zürich"\r\n}\r\n';

function utf16be(text: string): Buffer {
  const le = Buffer.from(text, "utf16le");
  for (let i = 0; i < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1]!, le[i]!];
  return le;
}

describe("decodeText", () => {
  it.each([
    ["UTF-8 without a byte order mark", Buffer.from(json, "utf8")],
    [
      "UTF-8 with a byte order mark (Out-File -Encoding utf8 in PowerShell 5.1)",
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json, "utf8")]),
    ],
    ["UTF-16 LE with a byte order mark (Out-File and > in PowerShell 5.1)", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, "utf16le")])],
    ["UTF-16 BE with a byte order mark", Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(json)])],
  ])("reads %s", (_what, bytes) => {
    expect(decodeText(bytes, "f.json")).toBe(json);
  });

  it.each([
    ["UTF-16 LE without a byte order mark", Buffer.from(json, "utf16le"), /^f\.json: looks like UTF-16 without a byte order mark; expected UTF-8/],
    [
      "Windows-1252 text",
      Buffer.from([0x7b, 0x22, 0x5a, 0xfc, 0x72, 0x69, 0x63, 0x68, 0x22, 0x7d]),
      /^f\.json: is not valid UTF-8; expected UTF-8 \(with or without a byte order mark\) or UTF-16/,
    ],
    ["a UTF-16 LE file cut in the middle of a character", Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d]), /^f\.json: is not valid UTF-16 LE; expected/],
  ])("refuses %s in one line, echoing no bytes", (_what, bytes, message) => {
    let error: unknown;
    try {
      decodeText(bytes, "f.json");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    const text = (error as Error).message;
    expect(text).toMatch(message);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is that none appear.
    expect(text).not.toMatch(/[\u0000-\u001f\ufffd]/);
  });
});
