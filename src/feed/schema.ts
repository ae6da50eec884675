import { z } from "zod";
import { InputError } from "../errors.js";
import { feedVersionSchema } from "../ids.js";

/**
 * Schemas for the answers of the Microsoft 365 endpoints service. Objects
 * ignore attributes they do not know (Microsoft adds some at any time) but
 * check every attribute the product relies on. Port lists are checked here
 * and kept as the service wrote them, so a stored feed reads like the real one.
 */

export { validate } from "../validation.js";

/**
 * Both spellings occur: JSON booleans in /endpoints, the strings "true"/"false"
 * in real /changes records. Any case, since .NET writes "True".
 */
const looseBoolean = z.union(
  [
    z.boolean(),
    z
      .string()
      .refine((s) => /^(true|false)$/i.test(s))
      .transform((s) => s.toLowerCase() === "true"),
  ],
  { error: 'expected true or false (or the strings "true" and "false")' },
);

/** `YYYYMMDDNN`; 0000000000 is valid too: it asks /changes for everything. */
/** The feed version format, as the service's answers carry it. */
export const versionSchema = feedVersionSchema;

const dateSchema = z
  .string()
  .regex(/^\d{8}$/, { message: "expected a date YYYYMMDD" })
  .refine(isCalendarDate, { message: "expected a date YYYYMMDD" });

const setId = z.number().int().nonnegative();
const entries = z.array(z.string().min(1));

export const versionInfoSchema = z.object({ instance: z.string().min(1), latest: versionSchema });
/** `/version` without an instance answers one entry per instance, retired ones included. */
export const versionListSchema = z.array(versionInfoSchema);

export const endpointSetSchema = z
  .object({
    id: setId,
    serviceArea: z.string().min(1),
    serviceAreaDisplayName: z.string(),
    urls: entries.optional(),
    /** IPv4 and IPv6 ranges, mixed; parsed by whoever uses them. */
    ips: entries.optional(),
    tcpPorts: z.string().optional(),
    udpPorts: z.string().optional(),
    expressRoute: looseBoolean,
    category: z.string().min(1),
    required: looseBoolean,
    notes: z.string().optional(),
  })
  .superRefine((set, ctx) => checkPortLists(set, set.id, ctx, []));
export const endpointSetsSchema = z.array(endpointSetSchema);

/** The attributes a change record shows before and after: any subset of an endpoint set's. */
const endpointAttributes = z.object({
  serviceArea: z.string().optional(),
  serviceAreaDisplayName: z.string().optional(),
  urls: entries.optional(),
  ips: entries.optional(),
  tcpPorts: z.string().optional(),
  udpPorts: z.string().optional(),
  expressRoute: looseBoolean.optional(),
  category: z.string().optional(),
  required: looseBoolean.optional(),
  notes: z.string().optional(),
});

export const changeRecordSchema = z
  .object({
    id: setId,
    endpointSetId: setId,
    disposition: oneOfAnyCase(["Add", "Change", "Remove"]),
    impact: z.string().optional(),
    version: versionSchema,
    previous: endpointAttributes.optional(),
    current: endpointAttributes.optional(),
    add: z.object({ effectiveDate: dateSchema, ips: entries.optional(), urls: entries.optional() }).optional(),
    remove: z.object({ ips: entries.optional(), urls: entries.optional() }).optional(),
  })
  .superRefine((record, ctx) => {
    if (record.previous) checkPortLists(record.previous, record.endpointSetId, ctx, ["previous"]);
    if (record.current) checkPortLists(record.current, record.endpointSetId, ctx, ["current"]);
  });
export const changesSchema = z.array(changeRecordSchema);

export type VersionInfo = z.output<typeof versionInfoSchema>;
export type EndpointSet = z.output<typeof endpointSetSchema>;
export type ChangeRecord = z.output<typeof changeRecordSchema>;

/** An inclusive range of ports; a single port is `[p, p]`. */
export type PortRange = [number, number];

/**
 * Reads a port list as the service writes it: ports and ranges separated by
 * commas, with or without spaces. An empty list has no ports.
 *
 * @example parsePortList("143, 587, 993, 995") // [[143,143],[587,587],[993,993],[995,995]]
 * @example parsePortList("5000-5020") // [[5000,5020]]
 */
export function parsePortList(text: string): PortRange[] {
  if (text.trim() === "") return [];
  return text.split(",").map((item) => parsePortItem(item.trim(), text));
}

/** @example includesPort(parsePortList("25, 587"), 25) // true */
export function includesPort(list: readonly PortRange[], port: number): boolean {
  return list.some(([low, high]) => low <= port && port <= high);
}

function parsePortItem(item: string, list: string): PortRange {
  const match = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/.exec(item);
  const bad = (reason: string | undefined) =>
    new InputError(`${quote(list)} is not a port list${reason ? ` (${reason})` : ""}; expected ports and ranges such as "80,443" or "5000-5020"`);
  if (!match) throw bad(item === "" ? "an empty entry" : item === list.trim() ? undefined : `${quote(item)} is not a port or a range`);
  const low = Number(match[1]);
  const high = match[2] === undefined ? low : Number(match[2]);
  for (const port of [low, high]) if (port < 1 || port > 65535) throw bad(`${port} is not a port, 1-65535`);
  if (low > high) throw bad(`the range ${quote(item)} runs backwards`);
  return [low, high];
}

function checkPortLists(
  value: { tcpPorts?: string | undefined; udpPorts?: string | undefined },
  endpointSetId: number,
  ctx: z.RefinementCtx,
  at: PropertyKey[],
): void {
  for (const field of ["tcpPorts", "udpPorts"] as const) {
    const text = value[field];
    if (text === undefined) continue;
    try {
      parsePortList(text);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      ctx.addIssue({ code: "custom", path: [...at, field], message: `endpoint set ${endpointSetId}: ${error.detail}` });
    }
  }
}

/** A string that must be one of `values` in any case; the result is the canonical spelling. */
function oneOfAnyCase<const T extends readonly [string, ...string[]]>(values: T) {
  return z.string().transform((text, ctx): T[number] => {
    const found = values.find((v) => v.toLowerCase() === text.toLowerCase());
    if (found !== undefined) return found;
    ctx.addIssue({ code: "custom", message: `expected one of ${values.join(", ")} (in any case), got ${quote(text)}` });
    return z.NEVER;
  });
}

function isCalendarDate(text: string): boolean {
  const [y, m, d] = [Number(text.slice(0, 4)), Number(text.slice(4, 6)), Number(text.slice(6, 8))];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** Quotes feed text for a message, short and on one line. */
function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}
