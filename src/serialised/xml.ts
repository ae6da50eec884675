import { InputError } from "../errors.js";
import { printable } from "../validation.js";

/**
 * The XML that CLIXML is written in, and no more: elements, attributes, text,
 * the five named entities and character references, comments, CDATA and the
 * XML declaration. A document type declaration is refused (CLIXML never has
 * one, and entity definitions are how XML bombs work). Namespaces are kept
 * as written in the names' prefixes and otherwise ignored.
 */
export interface XmlElement {
  name: string;
  attributes: Readonly<Record<string, string>>;
  children: readonly XmlElement[];
  /** The element's own text (outside its children), entities decoded. */
  text: string;
  /** 1-based line where the element starts, for error messages. */
  line: number;
}

/** Names are short in CLIXML; a bound keeps every message that quotes one short too. */
const NAME = /[A-Za-z_][\w.:-]{0,99}(?![\w.:-])/y;
const ATTRIBUTE = /\s+([A-Za-z_][\w.:-]{0,99})\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;
const ENTITIES: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
const MAX_DEPTH = 256;
/** Far more than any Exchange export at the upload limit holds (about one element in 60 bytes), and a bound on memory. */
const MAX_ELEMENTS = 2_000_000;
/** Shared by the many elements without attributes or children, so that each costs no empty array or object of its own. */
const NO_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze({});
const NO_CHILDREN: readonly XmlElement[] = Object.freeze([]);

/** @throws InputError naming the source and line of the first thing that is not well-formed. */
export function parseXml(text: string, source: string): XmlElement {
  return new XmlParser(text, source).document();
}

class XmlParser {
  private at = 0;
  private elements = 0;
  constructor(
    private readonly text: string,
    private readonly source: string,
  ) {}

  private newlines: number[] | undefined;

  /** The line of an offset, by binary search over the line ends (found once): elements carry it, so it must be cheap. */
  private line(at = this.at): number {
    if (!this.newlines) {
      this.newlines = [];
      for (let i = this.text.indexOf("\n"); i !== -1; i = this.text.indexOf("\n", i + 1)) this.newlines.push(i);
    }
    let lo = 0;
    let hi = this.newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.newlines[mid]! < at) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  }

  private fail(message: string, at = this.at): never {
    throw new InputError(`line ${this.line(at)}: ${message}`, { source: this.source });
  }

  document(): XmlElement {
    if (this.text.charCodeAt(0) === 0xfeff) this.at = 1;
    this.misc();
    if (this.text.startsWith("<?xml", this.at)) {
      const end = this.text.indexOf("?>", this.at);
      if (end < 0) this.fail("the XML declaration is not closed");
      this.at = end + 2;
    }
    this.misc();
    if (this.text.startsWith("<!DOCTYPE", this.at)) this.fail("has a document type declaration, which CLIXML never has");
    if (this.text[this.at] !== "<") this.fail("is not XML: expected an element such as <Objs>");
    const root = this.element(0);
    this.misc();
    if (this.at < this.text.length) this.fail("has content after the root element");
    return root;
  }

  /** White space and comments between elements. */
  private misc(): void {
    for (;;) {
      this.skipSpace();
      if (!this.text.startsWith("<!--", this.at)) return;
      const end = this.text.indexOf("-->", this.at + 4);
      if (end < 0) this.fail("a comment is not closed");
      this.at = end + 3;
    }
  }

  private element(depth: number): XmlElement {
    if (depth > MAX_DEPTH) this.fail(`nests elements more than ${MAX_DEPTH} deep`);
    if (++this.elements > MAX_ELEMENTS) this.fail(`has more than ${MAX_ELEMENTS.toLocaleString("en")} elements, more than any Exchange export`);
    const start = this.at;
    this.at++; // "<"
    const name = this.name();
    let attributes = NO_ATTRIBUTES as Record<string, string>;
    for (;;) {
      ATTRIBUTE.lastIndex = this.at;
      const m = ATTRIBUTE.exec(this.text);
      if (!m) break;
      if (attributes === NO_ATTRIBUTES) attributes = {};
      if (Object.hasOwn(attributes, m[1]!)) this.fail(`<${name}> repeats the attribute ${m[1]}`);
      attributes[m[1]!] = this.decode(m[2] ?? m[3] ?? "", this.at);
      this.at = ATTRIBUTE.lastIndex;
    }
    this.skipSpace();
    const element: XmlElement = { name, attributes, children: NO_CHILDREN, text: "", line: this.line(start) };
    if (this.text.startsWith("/>", this.at)) {
      this.at += 2;
      return element;
    }
    if (this.text[this.at] !== ">") this.fail(`<${name}> is not closed where expected`);
    this.at++;
    let text = "";
    let children: XmlElement[] | undefined;
    for (;;) {
      const next = this.text.indexOf("<", this.at);
      if (next < 0) this.fail(`<${name}> (line ${element.line}) is not closed before the end of the text`);
      // The white space between children is most of a CLIXML file: it is skipped, not copied.
      if (next > this.at && !this.onlySpace(this.at, next)) text += this.decode(this.text.slice(this.at, next), this.at);
      else if (next > this.at && !children) text += this.text.slice(this.at, next);
      this.at = next;
      if (this.text.startsWith("</", this.at)) {
        this.at += 2;
        const closing = this.name();
        if (closing !== name) this.fail(`</${printable(closing)}> closes <${name}> (line ${element.line})`);
        this.skipSpace();
        if (this.text[this.at] !== ">") this.fail(`</${name}> is not closed`);
        this.at++;
        element.text = children && this.isSpace(text) ? "" : text;
        return element;
      }
      if (this.text.startsWith("<!--", this.at)) {
        const end = this.text.indexOf("-->", this.at + 4);
        if (end < 0) this.fail("a comment is not closed");
        this.at = end + 3;
      } else if (this.text.startsWith("<![CDATA[", this.at)) {
        const end = this.text.indexOf("]]>", this.at + 9);
        if (end < 0) this.fail("a CDATA section is not closed");
        text += this.text.slice(this.at + 9, end);
        this.at = end + 3;
      } else if (this.text.startsWith("<?", this.at) || this.text.startsWith("<!", this.at)) {
        this.fail("has a declaration or processing instruction inside an element");
      } else {
        const child = this.element(depth + 1);
        if (children) children.push(child);
        else element.children = children = [child];
      }
    }
  }

  private skipSpace(): void {
    while (isSpaceCode(this.text.charCodeAt(this.at))) this.at++;
  }

  private onlySpace(from: number, to: number): boolean {
    for (let i = from; i < to; i++) if (!isSpaceCode(this.text.charCodeAt(i))) return false;
    return true;
  }

  private isSpace(text: string): boolean {
    for (let i = 0; i < text.length; i++) if (!isSpaceCode(text.charCodeAt(i))) return false;
    return true;
  }

  private name(): string {
    NAME.lastIndex = this.at;
    const m = NAME.exec(this.text);
    if (!m) this.fail("expected an element name (of at most 100 characters)");
    this.at = NAME.lastIndex;
    return m[0];
  }

  private decode(raw: string, at: number): string {
    if (!raw.includes("&")) return raw;
    return raw.replace(/&([^;&\s]{0,16});?/g, (whole, ref: string) => {
      if (!whole.endsWith(";")) this.fail(`an unescaped "&" (expected &amp;)`, at);
      if (Object.hasOwn(ENTITIES, ref)) return ENTITIES[ref]!;
      const code = /^#x([0-9a-f]+)$/i.test(ref) ? Number.parseInt(ref.slice(2), 16) : /^#\d+$/.test(ref) ? Number(ref.slice(1)) : undefined;
      if (code === undefined) this.fail(`${printable(JSON.stringify(whole))} is not an XML entity this reader knows`, at);
      // XML's characters: no NUL, no surrogate halves, nothing past U+10FFFF.
      if (code === 0 || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff)
        this.fail(`${printable(JSON.stringify(whole))} is not a character XML allows`, at);
      return String.fromCodePoint(code);
    });
  }
}

/** XML's white space: space, tab, carriage return, line feed. */
function isSpaceCode(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0d || code === 0x0a;
}
