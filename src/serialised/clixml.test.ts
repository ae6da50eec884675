import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../errors.js";
import { isCliXml, type PsObject, parseCliXml, plainValue } from "./clixml.js";
import { parseDocument } from "./document.js";

const FIXTURES = join(import.meta.dirname, "../../test/fixtures/exchange-clixml");

function objs(body: string): string {
  return `\uFEFF<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">\r\n${body}\r\n</Objs>`;
}

function refusal(text: string): string {
  try {
    parseCliXml(text, "x.xml");
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
  throw new Error("expected the text to be refused");
}

describe("parseCliXml", () => {
  it("reads the primitives Export-Clixml writes, decoding _xHHHH_ and XML entities", () => {
    const values = parseCliXml(
      objs(
        [
          "<S>line one_x000D__x000A_&lt;I&gt;CN=x&amp;y</S>",
          "<I32>-5</I32>",
          "<I64>9007199254740991</I64>",
          "<B>true</B>",
          "<Db>NaN</Db>",
          "<Db>-INF</Db>",
          "<DT>2021-08-06T15:56:14.1234567-05:00</DT>",
          "<BA>AAEC</BA>",
          "<G>3e7c2964-a6ef-4f43-b318-b3a23880dcbc</G>",
          "<Nil />",
          "<C>65</C>",
          "<TS>PT9.0269026S</TS>",
          "<Version>15.2.1118.7</Version>",
          "<URI>https://mail.contoso.com/</URI>",
          "<S>_x005F_x0041_ keeps an escaped underscore</S>",
        ].join(""),
      ),
      "x.xml",
    );
    expect(values.map((v) => plainValue(v, "x.xml"))).toEqual([
      "line one\r\n<I>CN=x&y",
      -5,
      9007199254740991,
      true,
      Number.NaN,
      Number.NEGATIVE_INFINITY,
      "2021-08-06T15:56:14.1234567-05:00",
      "AAEC",
      "3e7c2964-a6ef-4f43-b318-b3a23880dcbc",
      null,
      "A",
      "PT9.0269026S",
      "15.2.1118.7",
      "https://mail.contoso.com/",
      "_x0041_ keeps an escaped underscore",
    ]);
  });

  it("reads an object's type names (also by TNRef), ToString, Props and MS, and an enum as its number", () => {
    const [first, second] = parseCliXml(
      objs(`<Obj RefId="0"><TN RefId="0"><T>Microsoft.Exchange.Data.SmartHost</T><T>System.Object</T></TN><ToString>relay.contoso.com</ToString>
<Props><B N="IsIPAddress">false</B><S N="Domain">relay.contoso.com</S>
<Obj N="Level" RefId="1"><TN RefId="1"><T>Microsoft.Exchange.Data.TlsAuthLevel</T><T>System.Enum</T></TN><ToString>DomainValidation</ToString><I32>4</I32></Obj></Props>
<MS><S N="PSComputerName">ex01.contoso.com</S></MS></Obj>
<Obj RefId="2"><TNRef RefId="0" /><ToString>b</ToString><Props><S N="Domain">b</S></Props></Obj>`),
      "x.xml",
    ) as [PsObject, PsObject];
    expect(first.typeNames).toEqual(["Microsoft.Exchange.Data.SmartHost", "System.Object"]);
    expect(first.toString).toBe("relay.contoso.com");
    expect(first.properties.map((p) => [p.name, p.extended])).toEqual([
      ["IsIPAddress", false],
      ["Domain", false],
      ["Level", false],
      ["PSComputerName", true],
    ]);
    expect(second.typeNames).toBe(first.typeNames);
    expect(plainValue(first, "x.xml")).toEqual({ IsIPAddress: false, Domain: "relay.contoso.com", Level: 4, PSComputerName: "ex01.contoso.com" });
  });

  it("reads lists, dictionaries and references to objects given before", () => {
    const [hashtable] = parseCliXml(
      objs(`<Obj RefId="0"><TN RefId="0"><T>System.Collections.Hashtable</T></TN><DCT>
<En><S N="Key">tenant</S><S N="Value">contoso.onmicrosoft.com</S></En>
<En><S N="Key">list</S><Obj N="Value" RefId="1"><TN RefId="1"><T>System.Object[]</T></TN><LST><I32>1</I32><Obj RefId="2"><ToString>x</ToString><Props><S N="A">a</S></Props></Obj><Ref RefId="2" /></LST></Obj></En>
</DCT></Obj>`),
      "x.xml",
    );
    expect(plainValue(hashtable!, "x.xml")).toEqual({ tenant: "contoso.onmicrosoft.com", list: [1, { A: "a" }, { A: "a" }] });
  });

  it("refuses what is not CLIXML, naming the file and line", () => {
    expect(refusal("<Root/>")).toBe("x.xml: line 1: expected <Objs>, the root element Export-Clixml writes");
    expect(refusal(objs("<Obj RefId='0'>\r\n<Props><S>no name</S></Props></Obj>"))).toBe('x.xml: line 3: <S>: has no name (the attribute N="…")');
    expect(refusal(objs('<Ref RefId="9" />'))).toBe('x.xml: line 2: <Ref>: refers to object "9", which was not given before it');
    expect(refusal(objs("<I32>twelve</I32>"))).toBe('x.xml: line 2: <I32>: "twelve" is not an integer');
    expect(refusal(objs("<I32>0x10</I32>"))).toBe('x.xml: line 2: <I32>: "0x10" is not an integer');
    expect(refusal(objs("<Db>twelve</Db>"))).toBe('x.xml: line 2: <Db>: "twelve" is not a number');
    expect(refusal(objs("<DT>08/06/2021</DT>"))).toBe('x.xml: line 2: <DT>: "08/06/2021" is not an xs:dateTime');
    expect(refusal(objs("<Widget />"))).toMatch(/^x\.xml: line 2: <Widget>: is not a CLIXML value/);
    expect(refusal(objs('<Obj RefId="0"><Props><SS N="Password">01000000d08c9ddf</SS></Props></Obj>'))).toBe(
      "x.xml: line 2: <SS>: is a SecureString, a secret: export the objects without it",
    );
  });

  it("keeps properties named like Object's own members, and __proto__, as data", () => {
    const [odd] = parseCliXml(
      objs('<Obj RefId="0"><Props><S N="__proto__">x</S><S N="constructor">c</S><S N="toString">t</S></Props></Obj>'),
      "x.xml",
    );
    const plain = plainValue(odd!, "x.xml") as Record<string, unknown>;
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
    expect(Object.keys(plain)).toEqual(["__proto__", "constructor", "toString"]);
    expect(plain.constructor).toBe("c");
  });

  it("refuses references that would expand without bound, at once, and chains deeper than XML could nest", () => {
    // Object L refers ten times to object L-1: 2 KB of text that would expand to 10^8 values.
    let body = '<Obj RefId="0"><Props><S N="A">a</S></Props></Obj>';
    for (let level = 1; level <= 8; level++) {
      const refs = Array.from({ length: 10 }, (_, i) => `<Ref N="P${i}" RefId="${level - 1}" />`).join("");
      body += `<Obj RefId="${level}"><Props>${refs}</Props></Obj>`;
    }
    const bomb = objs(`<Obj RefId="100"><LST>${body}</LST></Obj>`);
    const started = performance.now();
    expect(() => parseDocument(bomb, "bomb.xml")).toThrow(
      "bomb.xml: repeats its objects by reference so often that reading them would not end: it is not what Export-Clixml writes",
    );
    expect(performance.now() - started).toBeLessThan(5000);

    let chain = '<Obj RefId="0"><Props><S N="A">a</S></Props></Obj>';
    for (let i = 1; i <= 400; i++) chain += `<Obj RefId="${i}"><Props><Ref N="Next" RefId="${i - 1}" /></Props></Obj>`;
    expect(() => parseDocument(objs(`<Obj RefId="9999"><LST>${chain}</LST></Obj>`), "chain.xml")).toThrow(
      "chain.xml: nests objects more than 256 deep",
    );
  });

  it("refuses a cycle when the objects are turned into values", () => {
    const [loop] = parseCliXml(objs('<Obj RefId="0"><Props><Ref N="Self" RefId="0" /></Props></Obj>'), "x.xml");
    expect(() => plainValue(loop!, "x.xml")).toThrow("x.xml: refers to itself: CLIXML with a cycle cannot be read as JSON");
  });

  it("reads every capture Microsoft published, each a list of Exchange objects with their type names", () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".xml"));
    expect(files).toHaveLength(13);
    for (const file of files) {
      const text = readFileSync(join(FIXTURES, file), "utf8");
      expect(isCliXml(text), file).toBe(true);
      const values = parseCliXml(text, file);
      expect(values.length, file).toBeGreaterThan(0);
      for (const v of values) expect(v.kind === "object" && v.typeNames[0]?.startsWith("Microsoft.Exchange."), file).toBe(true);
    }
  });
});

describe("parseDocument", () => {
  it("tells JSON from CLIXML by the text, and gives one object for CLIXML of one, a list for several", () => {
    expect(parseDocument('{"a":1}', "x.json")).toEqual({ a: 1 });
    expect(parseDocument(objs("<S>one</S>"), "x.xml")).toBe("one");
    expect(parseDocument(objs("<S>one</S><S>two</S>"), "x.xml")).toEqual(["one", "two"]);
    expect(parseDocument('<?xml version="1.0" encoding="utf-16"?>\r\n<Objs Version="1.1.0.1"><I32>1</I32></Objs>', "x.xml")).toBe(1);
    expect(() => parseDocument("<html></html>", "x.html")).toThrow("x.html: is not valid JSON");
  });
});
