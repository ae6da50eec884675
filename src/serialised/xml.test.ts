import { describe, expect, it } from "vitest";
import { InputError } from "../errors.js";
import { parseXml } from "./xml.js";

function refusal(text: string): string {
  try {
    parseXml(text, "f.xml");
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
  throw new Error("expected the text to be refused");
}

describe("parseXml", () => {
  it("reads elements, attributes in either quotes, text, entities, CDATA and comments", () => {
    const root = parseXml(
      '\uFEFF<?xml version="1.0"?>\n<!-- captured -->\n<a x=\'1\' y="&lt;2&gt;">t&amp;t<b/><![CDATA[<raw>]]><!-- c --><c>&#65;&#x42;</c></a>\n',
      "f.xml",
    );
    expect(root).toMatchObject({ name: "a", attributes: { x: "1", y: "<2>" }, text: "t&t<raw>", line: 3 });
    expect(root.children.map((c) => [c.name, c.text, c.line])).toEqual([
      ["b", "", 3],
      ["c", "AB", 3],
    ]);
  });

  it("refuses what is not well-formed, naming the line", () => {
    expect(refusal("<a>\n<b></a>")).toBe("f.xml: line 2: </a> closes <b> (line 2)");
    expect(refusal("<a>\n<b>")).toBe("f.xml: line 2: <b> (line 2) is not closed before the end of the text");
    expect(refusal("<a>&nbsp;</a>")).toBe('f.xml: line 1: "&nbsp;" is not an XML entity this reader knows');
    expect(refusal("<a>AT&T</a>")).toBe('f.xml: line 1: an unescaped "&" (expected &amp;)');
    expect(refusal('<a x="1" x="2"/>')).toBe("f.xml: line 1: <a> repeats the attribute x");
    expect(refusal("<a/><b/>")).toBe("f.xml: line 1: has content after the root element");
    expect(refusal("{}")).toBe("f.xml: line 1: is not XML: expected an element such as <Objs>");
  });

  it("refuses characters XML does not allow, and keeps names, and so messages, short", () => {
    expect(refusal("<a>&#0;</a>")).toBe('f.xml: line 1: "&#0;" is not a character XML allows');
    expect(refusal("<a>&#xD800;</a>")).toBe('f.xml: line 1: "&#xD800;" is not a character XML allows');
    expect(parseXml("<a>&#x0000000041;</a>", "f.xml").text).toBe("A");
    expect(refusal(`<${"n".repeat(5000)}/>`)).toBe("f.xml: line 1: expected an element name (of at most 100 characters)");
  });

  it("refuses more elements than any Exchange export holds, before memory runs out", () => {
    const many = `<Objs>${"<Nil/>".repeat(2_000_001)}</Objs>`;
    expect(refusal(many)).toBe("f.xml: line 1: has more than 2,000,000 elements, more than any Exchange export");
  });

  it("refuses a document type declaration, with which XML bombs are built", () => {
    expect(refusal('<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>')).toBe(
      "f.xml: line 2: has a document type declaration, which CLIXML never has",
    );
  });

  it("refuses nesting deeper than any CLIXML, without exhausting the stack", () => {
    const deep = `${"<a>".repeat(300)}${"</a>".repeat(300)}`;
    expect(refusal(deep)).toBe("f.xml: line 1: nests elements more than 256 deep");
  });

  it("reads a large file in time linear in its size", () => {
    const items = Array.from({ length: 50_000 }, (_, i) => `<S N="n${i}">v${i}</S>`).join("\n");
    const root = parseXml(`<Objs>\n${items}\n</Objs>`, "f.xml");
    expect(root.children).toHaveLength(50_000);
    expect(root.children[49_999]!.line).toBe(50_001);
  });
});
