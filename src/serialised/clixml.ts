import { InputError } from "../errors.js";
import { printable } from "../validation.js";
import { holdsPrivateKey, isKeyProperty, privateKeyError } from "./private-keys.js";
import { parseXml, type XmlElement } from "./xml.js";

/**
 * PowerShell's CLIXML, the format `Export-Clixml` writes and remote sessions
 * speak (MS-PSRP 2.2.5): objects with their type names, their `ToString`,
 * their properties (`<Props>`, and `<MS>` for the members PowerShell adds),
 * and a value of their own when they are a list, a dictionary or a wrapped
 * primitive (an enum is an `<I32>` with the enum's type names). This reads it
 * into that model without loss; `plainValue` turns the model into what
 * `ConvertTo-Json` would write at unlimited depth, which is what the readers
 * of Exchange's objects take.
 */

export type PsPrimitive =
  | { kind: "nil" }
  | { kind: "string"; value: string }
  | { kind: "char"; value: string }
  | { kind: "bool"; value: boolean }
  /** `tag` is the element (`I32`, `I64`, `Db`…): PowerShell writes integers and reals apart. */
  | { kind: "number"; value: number; tag: string }
  /** xs:dateTime as written, with its offset or `Z`, or neither for a DateTime of unspecified kind. */
  | { kind: "date"; value: string }
  /** xs:duration, as a TimeSpan is written (`PT9.0269026S`). */
  | { kind: "duration"; value: string }
  /** A byte array as CLIXML writes it, base64: decoded only where wanted (bytesOf), as SerializationData never is. */
  | { kind: "bytes"; base64: string }
  | { kind: "guid"; value: string }
  | { kind: "version"; value: string };

export interface PsProperty {
  name: string;
  value: PsValue;
  /** From `<MS>`: a member PowerShell added (`PSComputerName`, `SerializationData`), not one of the type's own. */
  extended: boolean;
}

export interface PsObject {
  kind: "object";
  /** Most derived first, as `<TN>` lists them; `Deserialized.` is not part of them. */
  typeNames: readonly string[];
  toString: string | undefined;
  /** The object's own value: a list, a dictionary, or the primitive it wraps (an enum's number). */
  base: PsPrimitive | { kind: "list"; items: PsValue[] } | { kind: "dictionary"; entries: [PsValue, PsValue][] } | undefined;
  properties: PsProperty[];
}

export type PsValue = PsPrimitive | PsObject;

const NUMBER_TAGS = new Set(["By", "SB", "U16", "I16", "U32", "I32", "U64", "I64", "Sg", "Db", "D"]);
const INTEGER_TAGS = new Set(["By", "SB", "U16", "I16", "U32", "I32", "U64", "I64"]);
const STRING_TAGS = new Set(["S", "URI", "XD", "SBK"]);
const LIST_TAGS = new Set(["LST", "IE", "STK", "QUE"]);

/** Whether text is CLIXML rather than JSON: after any byte order mark and white space, an XML declaration or `<Objs`. */
export function isCliXml(text: string): boolean {
  return /^\uFEFF?\s*<(?:\?xml|Objs[\s>])/.test(text);
}

/**
 * The values an `Export-Clixml` file holds, in order (one per object the
 * pipeline gave it).
 *
 * @throws InputError naming the source and line for anything that is not CLIXML, and for a SecureString (a secret).
 */
export function parseCliXml(text: string, source: string): PsValue[] {
  const root = parseXml(text, source);
  if (root.name !== "Objs") throw new InputError(`line ${root.line}: expected <Objs>, the root element Export-Clixml writes`, { source });
  const reader = new CliXmlReader(source);
  return root.children.map((child) => reader.value(child));
}

class CliXmlReader {
  private readonly objects = new Map<string, PsObject>();
  private readonly typeNames = new Map<string, string[]>();
  constructor(private readonly source: string) {}

  private fail(element: XmlElement, message: string): never {
    throw new InputError(`line ${element.line}: <${element.name}>: ${message}`, { source: this.source });
  }

  value(element: XmlElement): PsValue {
    const name = element.name;
    if (name === "Obj") return this.object(element);
    if (name === "Ref") {
      const id = element.attributes.RefId;
      const found = id === undefined ? undefined : this.objects.get(id);
      if (!found) this.fail(element, `refers to object ${printable(JSON.stringify(id ?? ""))}, which was not given before it`);
      return found;
    }
    return this.primitive(element);
  }

  private primitive(element: XmlElement): PsPrimitive {
    const name = element.name;
    const text = decodeCliXmlString(element.text);
    if (name === "Nil") return { kind: "nil" };
    if (STRING_TAGS.has(name)) {
      if (holdsPrivateKey(text)) throw privateKeyError(this.source, `line ${element.line}`);
      return { kind: "string", value: text };
    }
    if (name === "C") return { kind: "char", value: String.fromCharCode(this.integer(element, text)) };
    if (name === "B") {
      if (text !== "true" && text !== "false") this.fail(element, `${printable(JSON.stringify(text))} is not true or false`);
      return { kind: "bool", value: text === "true" };
    }
    if (NUMBER_TAGS.has(name)) {
      if (INTEGER_TAGS.has(name) && !/^[+-]?\d+$/.test(text.trim()))
        this.fail(element, `${printable(JSON.stringify(text.slice(0, 40)))} is not an integer`);
      const value = Number(text);
      if (text.trim() === "" || !Number.isFinite(value)) {
        // xs:double's special values, as CLIXML writes them.
        const special = { INF: Number.POSITIVE_INFINITY, "-INF": Number.NEGATIVE_INFINITY, NaN: Number.NaN }[text];
        if (special !== undefined && (name === "Db" || name === "Sg")) return { kind: "number", value: special, tag: name };
        this.fail(element, `${printable(JSON.stringify(text.slice(0, 40)))} is not a number`);
      }
      return { kind: "number", value, tag: name };
    }
    if (name === "DT") {
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?$/.test(text)) {
        this.fail(element, `${printable(JSON.stringify(text.slice(0, 40)))} is not an xs:dateTime`);
      }
      return { kind: "date", value: text };
    }
    if (name === "TS") return { kind: "duration", value: text };
    if (name === "G") return { kind: "guid", value: text };
    if (name === "Version") return { kind: "version", value: text };
    if (name === "BA") return { kind: "bytes", base64: /\s/.test(text) ? text.replace(/\s+/g, "") : text };
    if (name === "SS") this.fail(element, "is a SecureString, a secret: export the objects without it");
    return this.fail(element, "is not a CLIXML value (expected Obj, Ref, S, I32, B, DT, BA, Nil or another primitive)");
  }

  private integer(element: XmlElement, text: string): number {
    const n = Number(text);
    if (!Number.isInteger(n)) this.fail(element, `${printable(JSON.stringify(text.slice(0, 40)))} is not an integer`);
    return n;
  }

  private object(element: XmlElement): PsObject {
    const obj: PsObject = { kind: "object", typeNames: [], toString: undefined, base: undefined, properties: [] };
    // Registered before its members are read: a member may refer back to the object that holds it.
    const id = element.attributes.RefId;
    if (id !== undefined) this.objects.set(id, obj);
    for (const child of element.children) {
      switch (child.name) {
        case "TN": {
          const names = child.children.filter((t) => t.name === "T").map((t) => decodeCliXmlString(t.text));
          if (child.attributes.RefId !== undefined) this.typeNames.set(child.attributes.RefId, names);
          obj.typeNames = names;
          break;
        }
        case "TNRef": {
          const names = this.typeNames.get(child.attributes.RefId ?? "");
          if (!names) this.fail(child, `refers to type names ${printable(JSON.stringify(child.attributes.RefId ?? ""))}, not given before`);
          obj.typeNames = names;
          break;
        }
        case "ToString":
          obj.toString = decodeCliXmlString(child.text);
          break;
        case "Props":
        case "MS":
          for (const member of child.children) obj.properties.push(this.property(member, child.name === "MS"));
          break;
        case "DCT":
          obj.base = { kind: "dictionary", entries: child.children.map((en) => this.entry(en)) };
          break;
        default:
          if (LIST_TAGS.has(child.name)) obj.base = { kind: "list", items: child.children.map((item) => this.value(item)) };
          else obj.base = this.primitive(child);
      }
    }
    return obj;
  }

  private property(member: XmlElement, extended: boolean): PsProperty {
    const raw = member.attributes.N;
    if (raw === undefined) this.fail(member, 'has no name (the attribute N="…")');
    const name = decodeCliXmlString(raw);
    const value = this.value(member);
    // Checked here, where every member is seen: an object that is a list or a value keeps no members as JSON.
    const carried = value.kind === "nil" || value.kind === "bool" ? null : value.kind === "string" ? value.value : value;
    if (isKeyProperty(name, carried) || holdsPrivateKey(name)) throw privateKeyError(this.source, `line ${member.line}: ${printable(name)}`);
    return { name, value, extended };
  }

  private entry(en: XmlElement): [PsValue, PsValue] {
    if (en.name !== "En") this.fail(en, "expected <En> in a dictionary");
    const key = en.children.find((c) => c.attributes.N === "Key");
    const value = en.children.find((c) => c.attributes.N === "Value");
    if (!key || !value) this.fail(en, 'expected a "Key" and a "Value"');
    return [this.value(key), this.value(value)];
  }
}

/** The bytes of a byte array. */
export function bytesOf(p: Extract<PsPrimitive, { kind: "bytes" }>): Buffer {
  return Buffer.from(p.base64, "base64");
}

/** CLIXML writes characters XML cannot hold, and `_x` itself, as `_xHHHH_` (MS-PSRP 2.2.5.3.2). */
function decodeCliXmlString(text: string): string {
  return text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

const OBJECT_CYCLE = "refers to itself: CLIXML with a cycle cannot be read as JSON";
/** As deep as the XML itself may nest: references cannot build deeper values than the text could. */
const MAX_VALUE_DEPTH = 256;

export interface PlainValueOptions {
  /**
   * The most values it may make. A reference repeats a whole object, so a few
   * kilobytes of references to references would expand without bound;
   * parseDocument allows what the text's size could hold, many times over.
   */
  budget?: number;
}

/**
 * What `ConvertTo-Json` writes for a value at unlimited depth, as JSON.parse
 * would return it: objects by their properties (the type's own and those
 * PowerShell added), lists as arrays, dictionaries as objects, an enum or
 * other wrapped primitive as the primitive (an enum's number), dates as the
 * ISO text, bytes as base64 (which the readers take as RawData does).
 *
 * @throws InputError for a cycle, for nesting deeper than XML could, and past the budget.
 */
export function plainValue(value: PsValue, source: string, options: PlainValueOptions = {}): unknown {
  const seen = new Set<PsObject>();
  let remaining = options.budget ?? Number.POSITIVE_INFINITY;
  const plain = (v: PsValue, depth: number): unknown => {
    if (--remaining < 0) {
      throw new InputError("repeats its objects by reference so often that reading them would not end: it is not what Export-Clixml writes", {
        source,
      });
    }
    if (v.kind !== "object") return plainPrimitive(v);
    if (depth > MAX_VALUE_DEPTH) throw new InputError(`nests objects more than ${MAX_VALUE_DEPTH} deep`, { source });
    if (seen.has(v)) throw new InputError(OBJECT_CYCLE, { source });
    seen.add(v);
    try {
      const base = v.base;
      if (base?.kind === "list") return base.items.map((item) => plain(item, depth + 1));
      if (base?.kind === "dictionary") {
        const out: Record<string, unknown> = {};
        for (const [k, item] of base.entries) setOwn(out, keyText(k), plain(item, depth + 1));
        return out;
      }
      if (base !== undefined) return plainPrimitive(base);
      const out: Record<string, unknown> = {};
      for (const p of v.properties) if (!Object.hasOwn(out, p.name)) setOwn(out, p.name, plain(p.value, depth + 1));
      return out;
    } finally {
      seen.delete(v);
    }
  };
  return plain(value, 0);
}

/** An own property, as JSON.parse makes one: a key such as `__proto__` from outside is data, never the prototype. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function plainPrimitive(p: PsPrimitive): unknown {
  switch (p.kind) {
    case "nil":
      return null;
    case "bytes":
      return p.base64;
    case "bool":
    case "number":
      return p.value;
    default:
      return p.value;
  }
}

function keyText(key: PsValue): string {
  if (key.kind === "object") return key.toString ?? String(plainValue(key, "", { budget: 1000 }));
  const plain = plainPrimitive(key);
  return String(plain);
}
