import { isIP } from "node:net";
import { z } from "zod";
import { InputError } from "../errors.js";
import { describeValue, hasUnsafeCharacters, printable, UNSAFE_CHARACTERS } from "../validation.js";
import { type ExchangeEnum, SMTP_RECEIVE_CAPABILITIES } from "./enums.js";

/**
 * Exchange's values as its cmdlets' objects carry them, read leniently and
 * into one form each, whether they come from `Export-Clixml` (through
 * clixml.ts), `ConvertTo-Json` in Windows PowerShell 5.1 or PowerShell 7 at
 * any depth, or a document written by hand:
 * - enums as numbers (what serialised objects carry) or names, flags as a
 *   number, a list or comma-joined names (enums.ts has the numbers);
 * - multi-valued properties as arrays, as 5.1's `{"value":[…],"Count":n}`,
 *   as one item where there was one, or, beyond `-Depth`, as the text
 *   PowerShell makes of the list (its items' texts joined by spaces);
 * - Exchange types (IPAddress, SmartHost, IPRange, bindings, address spaces,
 *   domains) as objects with their parts, or as the text of their ToString,
 *   which is what ConvertTo-Json writes for objects beyond its depth;
 * - dates as `/Date(ms)/`, ISO 8601 with or without an offset, and
 *   culture-formatted text only where it cannot be read two ways.
 * Remoting's additions (`PSComputerName`, `RunspaceId`, `SerializationData`)
 * are simply not read.
 */

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** PS 5.1's wrapper of a collection: `value` and, at most, `Count`. */
function isWrapper(value: Record<string, unknown>): value is { value: unknown[] } {
  return Array.isArray(value.value) && Object.keys(value).every((k) => k === "value" || k === "Count");
}

export interface ListOptions {
  /**
   * The items can hold no white space or comma (addresses, host names,
   * ranges, enum names): a string is then the list's text beyond
   * ConvertTo-Json's depth, its items joined by spaces, or names written
   * "A, B", and is split.
   */
  joined?: boolean;
}

/** The items of a list however it was written; null or absent is an empty list. */
export function listItems(value: unknown, options: ListOptions = {}): unknown[] {
  // An empty list beyond ConvertTo-Json's depth is its text: "".
  if (value === null || value === undefined || (typeof value === "string" && value.trim() === "")) return [];
  if (Array.isArray(value)) return value;
  if (isObject(value) && isWrapper(value)) return value.value;
  if (options.joined && typeof value === "string") return value.split(/[\s,]+/).filter(Boolean);
  return [value];
}

/** A list of `item` as the shell writes it (see listItems). */
export function psList<T extends z.ZodType>(item: T, options: ListOptions = {}) {
  return z.preprocess((v) => listItems(v, options), z.array(item));
}

/** True/False as JSON booleans, or as the strings PowerShell prints. */
export const psBool = z.preprocess(
  (v) => (typeof v === "string" && /^(true|false)$/i.test(v.trim()) ? v.trim().toLowerCase() === "true" : v),
  z.boolean({ message: "expected true or false" }),
);

/**
 * A name: a string, or an object carrying it (`Name`, or the
 * `DistinguishedName` of a deserialised ADObjectId), as Exchange writes
 * servers and identities.
 */
export const psName = z.preprocess(
  (v) => (isObject(v) ? (v.Name ?? v.name ?? v.DistinguishedName ?? v) : v),
  safeText(z.string({ message: "expected a name (a string, or an object with Name)" }).trim().min(1, { message: "expected a non-empty name" })),
);

/**
 * Text from outside that reaches scripts, reports and alerts: refused when it
 * holds a character that could break out of a line or read as another name,
 * here where it is read, not later where it is written.
 */
export function safeText<T extends z.ZodType<string, unknown>>(schema: T) {
  return schema.refine((t) => !hasUnsafeCharacters(t), { message: `must not contain ${UNSAFE_CHARACTERS}` });
}

/**
 * A connector's identity as Exchange writes it, `SERVER\\Name`: the Identity
 * when it has the server (its ToString does), else Server and Name joined.
 */
export function identityOf(c: { Identity?: string | undefined; Name?: string | undefined; Server?: string | undefined }): string | undefined {
  if (c.Identity?.includes("\\")) return c.Identity;
  if (c.Server && c.Name) return `${c.Server}\\${c.Name}`;
  return c.Identity ?? c.Name;
}

/**
 * An enum value as its names: by name (any case), by number (bare, or as
 * ConvertTo-Json writes a deserialised enum, `{"value": n, "Value": "names"}`),
 * and for a flags enum as a number, an array or comma-joined names ("Tls,
 * Integrated"). A
 * number with a bit the table lacks is refused: dropping the bit would read
 * a value this reader cannot tell as one it can.
 */
export function psEnum(definition: ExchangeEnum) {
  const byLower = new Map(definition.members.map(([n]) => [n.toLowerCase(), n]));
  const byNumber = new Map(definition.members.map(([n, v]) => [v, n]));
  const expected = `expected ${definition.members.map(([n]) => n).join(", ")}${definition.flags ? " (or several, comma-separated)" : ""}, or their numbers`;
  return z.unknown().transform((raw, ctx): string[] => {
    // ConvertTo-Json writes a deserialised enum as {"value": 512, "Value": "AcceptCloudServicesMail"}: the
    // number, and the name that Deserialized.System.Enum's type data adds (cisagov/ScubaGear#135).
    const v = isObject(raw) && (typeof raw.value === "number" || typeof raw.value === "string") ? raw.value : raw;
    if (typeof v === "number") {
      const single = byNumber.get(v);
      if (single !== undefined) return [single];
      // Bit operations read 32 bits: a larger number would lose its high bits unseen.
      if (definition.flags && Number.isInteger(v) && v > 0 && v <= 0x7fffffff) {
        const set = definition.members.filter(([, bit]) => bit !== 0 && (v & bit) === bit);
        if (set.reduce((all, [, bit]) => all | bit, 0) === v) return set.map(([name]) => name);
      }
      ctx.addIssue({ code: "custom", message: `${v} is not a value of ${shortType(definition)}: ${expected}` });
      return z.NEVER;
    }
    const parts = typeof v === "string" ? (definition.flags ? v.split(",") : [v]) : Array.isArray(v) ? v : undefined;
    if (!parts) {
      ctx.addIssue({ code: "custom", message: `is ${describeValue(v)}: ${expected}` });
      return z.NEVER;
    }
    const out: string[] = [];
    for (const part of parts) {
      if (typeof part === "number" && byNumber.has(part)) {
        out.push(byNumber.get(part)!);
        continue;
      }
      const text = typeof part === "string" ? part.trim() : undefined;
      if (text === "") continue;
      const name = text === undefined ? undefined : byLower.get(text.toLowerCase());
      if (name === undefined) {
        ctx.addIssue({
          code: "custom",
          message: `${printable(JSON.stringify(text ?? part))} is not a value of ${shortType(definition)}: ${expected}`,
        });
        return z.NEVER;
      }
      out.push(name);
    }
    return out;
  });
}

/** One value of a single-valued enum; empty text is not one. */
export const psEnumValue = (definition: ExchangeEnum) =>
  psEnum(definition).transform((v, ctx) => {
    if (v[0] === undefined) {
      ctx.addIssue({ code: "custom", message: `is empty: expected ${definition.members.map(([n]) => n).join(", ")}, or their numbers` });
      return z.NEVER;
    }
    return v[0];
  });

function shortType(definition: ExchangeEnum): string {
  return definition.type.slice(definition.type.lastIndexOf(".") + 1).replace(/^.*\+/, "");
}

/** The text of a System.Net.IPAddress: a string, or the object with IPAddressToString (or, without it, its IPv4 Address number). */
function addressText(v: unknown): unknown {
  if (!isObject(v)) return typeof v === "string" ? v.trim() : v;
  if (typeof v.IPAddressToString === "string") return v.IPAddressToString;
  const family = v.AddressFamily;
  // IPAddress.Address is the IPv4 address as a number in network order read little-endian: 16777343 is 127.0.0.1.
  if (typeof v.Address === "number" && (family === "InterNetwork" || family === 2) && Number.isInteger(v.Address) && v.Address >= 0) {
    const n = v.Address;
    return [n % 256, Math.floor(n / 256) % 256, Math.floor(n / 65536) % 256, Math.floor(n / 16777216) % 256].join(".");
  }
  return v;
}

/** An address: a string, or a serialised System.Net.IPAddress (`{Address: 16777343, AddressFamily: 2, IPAddressToString: "127.0.0.1"}`). */
export const psIpAddress = z.preprocess(
  addressText,
  z.string({ message: "expected an IP address" }).refine((s) => isIP(s) !== 0, { message: "expected an IP address" }),
);

/** The text of a domain: a string, or a Fqdn/SmtpDomain/SmtpDomainWithSubdomains object (whose `Address` keeps the `*.`). */
function domainText(v: unknown): unknown {
  if (!isObject(v)) return v;
  if (typeof v.Address === "string") return v.Address;
  if (typeof v.Domain === "string") return v.IncludeSubDomains === true && v.Domain !== "*" ? `*.${v.Domain}` : v.Domain;
  return v.HostnameString ?? v.SmtpDomain ?? (isObject(v.Domain) ? domainText(v.Domain) : v);
}

/**
 * The text of a host: a string, a SmartHost (`IsIPAddress` says whether
 * `Address` or `Domain` holds it; a host given by name has the Address
 * 0.0.0.0), or a domain object.
 */
function hostText(v: unknown): unknown {
  if (!isObject(v)) return v;
  if (v.IsIPAddress === true) return addressText(v.Address);
  if (v.IsIPAddress === false) return domainText(v.Domain ?? v.HostnameString ?? v.AddressString);
  return v.AddressString ?? domainText(v);
}

/** A smart host or domain name, lower-case, without brackets (`[10.0.0.1]`) or a trailing dot. */
export const psHost = z.preprocess(
  (v) => {
    const text = hostText(v);
    return typeof text === "string"
      ? text
          .trim()
          .replace(/^\[(.*)\]$/, "$1")
          .replace(/\.$/, "")
          .toLowerCase()
      : text;
  },
  safeText(z.string({ message: "expected a host name" }).min(1, { message: "expected a host name" })),
);

/** A send connector's address space: `smtp:contoso.mail.onmicrosoft.com;1` or `{Type, Address, Cost}` → the domain. */
export const psAddressSpace = z.preprocess(
  (v) => {
    if (isObject(v)) return domainText(v);
    if (typeof v !== "string") return v;
    return v
      .trim()
      .replace(/^[a-z0-9]+:/i, "")
      .replace(/;\d+$/, "");
  },
  safeText(z.string({ message: "expected an address space such as smtp:contoso.mail.onmicrosoft.com;1" }).min(1)).transform((s) => s.toLowerCase()),
);

/** A receive connector's binding, `0.0.0.0:25` / `[::]:25` or `{Address, Port}` → its port. */
export const psBindingPort = z.preprocess(
  (v) => {
    if (isObject(v)) return typeof v.Port === "string" ? Number(v.Port) : v.Port;
    if (typeof v !== "string") return v;
    const port = /:(\d{1,5})$/.exec(v.trim());
    return port ? Number(port[1]) : v;
  },
  z.number({ message: "expected a binding such as 0.0.0.0:25" }).int().min(0).max(65535),
);

/**
 * A RemoteIPRanges item as text Exchange takes: a string as it is, or an
 * IPRange object's `Expression`, else its bounds (strings or IPAddress
 * objects). When both are there they must agree; `agree` checks that.
 */
export function ipRangeText(item: unknown, agree: (expression: string, bounds: string) => boolean): string {
  if (typeof item === "string") return item.trim();
  if (!isObject(item)) throw new InputError(IP_RANGE_EXPECTED);
  const bound = (name: "LowerBound" | "UpperBound"): string | undefined => {
    const value = item[name];
    if (value === undefined || value === null) return undefined;
    const text = addressText(value);
    if (typeof text !== "string" || isIP(text) === 0) throw new InputError(`is ${describeValue(value)}: expected an IP address`, { path: name });
    return text;
  };
  const lower = bound("LowerBound");
  const upper = bound("UpperBound");
  const bounds = lower !== undefined && upper !== undefined ? (lower === upper ? lower : `${lower}-${upper}`) : undefined;
  const expression = item.Expression;
  if (expression !== undefined && expression !== null && typeof expression !== "string") {
    throw new InputError(`is ${describeValue(expression)}: expected the range as text`, { path: "Expression" });
  }
  if (typeof expression === "string" && bounds !== undefined && !agree(expression, bounds)) {
    throw new InputError(`Expression ${JSON.stringify(expression)} does not match LowerBound/UpperBound ${JSON.stringify(bounds)}`);
  }
  const text = typeof expression === "string" ? expression : bounds;
  if (text === undefined) throw new InputError('expected "Expression" or both "LowerBound" and "UpperBound"');
  return text.trim();
}

const IP_RANGE_EXPECTED = 'expected an address, CIDR or range string, or an object with "Expression" or "LowerBound"/"UpperBound"';

const DOMAIN_CAPABILITIES_EXPECTED = "expected domain:capabilities, such as mail.protection.outlook.com:AcceptCloudServicesMail";

/**
 * A TlsDomainCapabilities item: `mail.protection.outlook.com:AcceptCloudServicesMail`
 * (its ToString) or `{Domain, Capabilities, SmtpX509Identifier}`, with
 * Capabilities by name or as the SmtpReceiveCapabilities number a local
 * session writes (512 is AcceptCloudServicesMail) → the domain and each
 * capability's name.
 */
export const psDomainCapabilities = z.preprocess(
  (v) => {
    if (typeof v === "string") {
      const at = v.lastIndexOf(":");
      return at < 0 ? v : { domain: v.slice(0, at), capabilities: v.slice(at + 1) };
    }
    if (!isObject(v)) return v;
    return { domain: domainText(v.Domain ?? null), capabilities: v.Capabilities ?? "" };
  },
  z.object(
    {
      // The message also here: an object without Domain, or a string without one, fails on this field.
      domain: z.string({ message: DOMAIN_CAPABILITIES_EXPECTED }).trim().toLowerCase().min(1, { message: DOMAIN_CAPABILITIES_EXPECTED }),
      capabilities: psEnum(SMTP_RECEIVE_CAPABILITIES),
    },
    { message: DOMAIN_CAPABILITIES_EXPECTED },
  ),
);
