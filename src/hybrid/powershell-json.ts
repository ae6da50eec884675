import { isIP } from "node:net";
import { z } from "zod";

/**
 * The shapes `ConvertTo-Json` gives Exchange's objects, read leniently and
 * into one form each. An Exchange Management Shell session is remote, so
 * values arrive deserialised: enums as their names (from a local Windows
 * PowerShell 5.1 session, as numbers), multi-valued properties as arrays or
 * as `{"value":[…],"Count":n}`, a single result as an object instead of a
 * one-item array, and Exchange types (smart hosts, address spaces,
 * bindings) as strings or as objects with their parts.
 */

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** PS 5.1's wrapper of a collection: `value` and, at most, `Count`. */
function isWrapper(value: Record<string, unknown>): value is { value: unknown[] } {
  return Array.isArray(value.value) && Object.keys(value).every((k) => k === "value" || k === "Count");
}

/** The items of a list however it was written; null or absent is an empty list. */
export function listItems(value: unknown): unknown[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value;
  if (isObject(value) && isWrapper(value)) return value.value;
  return [value];
}

/** A list of `item` as ConvertTo-Json writes it (see listItems). */
export function psList<T extends z.ZodType>(item: T) {
  return z.preprocess(listItems, z.array(item));
}

/** True/False as JSON booleans, or as the strings PowerShell prints. */
export const psBool = z.preprocess(
  (v) => (typeof v === "string" && /^(true|false)$/i.test(v.trim()) ? v.trim().toLowerCase() === "true" : v),
  z.boolean({ message: "expected true or false" }),
);

/**
 * A name: a string, or an object carrying it (`Name`, or the `Identity` of a
 * deserialised ADObjectId), as Exchange writes servers and identities.
 */
export const psName = z.preprocess(
  (v) => (isObject(v) ? (v.Name ?? v.name ?? v.DistinguishedName ?? v) : v),
  z.string({ message: "expected a name (a string, or an object with Name)" }).trim().min(1, { message: "expected a non-empty name" }),
);

/**
 * An enum by name, or by its number from a local session. Flags enums
 * (`"Tls, Integrated"`) give each name; `numbers` maps single values and,
 * for flags, each bit.
 */
export function psEnum(names: readonly string[], numbers: Readonly<Record<number, string>> = {}, flags = false) {
  const byLower = new Map(names.map((n) => [n.toLowerCase(), n]));
  return z.unknown().transform((v, ctx): string[] => {
    const expected = `expected ${names.join(", ")}`;
    if (typeof v === "number") {
      if (numbers[v] !== undefined) return [numbers[v]];
      if (flags) {
        const set = Object.entries(numbers).filter(([bit]) => Number(bit) !== 0 && (v & Number(bit)) === Number(bit));
        // Every bit must be named: a bit the table lacks is a value this reader cannot tell, not one to drop.
        const named = set.reduce((all, [bit]) => all | Number(bit), 0);
        if (Number.isInteger(v) && named === v) return set.map(([, name]) => name);
      }
      ctx.addIssue({ code: "custom", message: `${v} is not a known value: ${expected}` });
      return z.NEVER;
    }
    const parts = typeof v === "string" ? v.split(",") : Array.isArray(v) ? v : undefined;
    if (!parts || parts.some((p) => typeof p !== "string")) {
      ctx.addIssue({ code: "custom", message: expected });
      return z.NEVER;
    }
    const out: string[] = [];
    for (const part of parts as string[]) {
      const name = byLower.get(part.trim().toLowerCase());
      if (part.trim() === "") continue;
      if (name === undefined) {
        ctx.addIssue({ code: "custom", message: `${JSON.stringify(part.trim())} is not a known value: ${expected}` });
        return z.NEVER;
      }
      out.push(name);
    }
    return out;
  });
}

/** The text of a host name from a string or a deserialised Exchange value (`Address`, `Domain`, `HostnameString`). */
function hostText(v: unknown): unknown {
  if (!isObject(v)) return v;
  const domain = v.Domain;
  return v.Address ?? v.AddressString ?? v.HostnameString ?? (isObject(domain) ? (domain.HostnameString ?? domain.Domain) : domain) ?? v;
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
  z.string({ message: "expected a host name" }).min(1, { message: "expected a host name" }),
);

/** An address: a string, or a serialised System.Net.IPAddress (`{Address: 16777343, AddressFamily: 2, IPAddressToString: "127.0.0.1"}`). */
export const psIpAddress = z.preprocess(
  (v) => (isObject(v) && typeof v.IPAddressToString === "string" ? v.IPAddressToString : typeof v === "string" ? v.trim() : v),
  z.string({ message: "expected an IP address" }).refine((s) => isIP(s) !== 0, { message: "expected an IP address" }),
);

/** A send connector's address space: `smtp:contoso.mail.onmicrosoft.com;1` or `{Type, Address, Cost}` → the domain. */
export const psAddressSpace = z.preprocess(
  (v) => {
    if (isObject(v)) return hostText(v);
    if (typeof v !== "string") return v;
    return v
      .trim()
      .replace(/^[a-z0-9]+:/i, "")
      .replace(/;\d+$/, "");
  },
  z
    .string({ message: "expected an address space such as smtp:contoso.mail.onmicrosoft.com;1" })
    .min(1)
    .transform((s) => s.toLowerCase()),
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

const DOMAIN_CAPABILITIES_EXPECTED = "expected domain:capabilities, such as mail.protection.outlook.com:AcceptCloudServicesMail";

/**
 * A TlsDomainCapabilities item: `mail.protection.outlook.com:AcceptCloudServicesMail`
 * or `{Domain, Capabilities}` → the domain and each capability.
 */
export const psDomainCapabilities = z.preprocess(
  (v) => {
    if (typeof v === "string") {
      const at = v.lastIndexOf(":");
      return at < 0 ? v : { domain: v.slice(0, at), capabilities: v.slice(at + 1) };
    }
    if (!isObject(v)) return v;
    const capabilities = v.Capabilities;
    return { domain: hostText(v.Domain ?? v), capabilities: Array.isArray(capabilities) ? capabilities.join(",") : String(capabilities ?? "") };
  },
  z.object(
    {
      // The message also here: an object without Domain, or a string without one, fails on this field.
      domain: z.string({ message: DOMAIN_CAPABILITIES_EXPECTED }).trim().toLowerCase().min(1),
      capabilities: z.string().transform((c) =>
        c
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    },
    { message: DOMAIN_CAPABILITIES_EXPECTED },
  ),
);
