import { isIP } from "node:net";
import { z } from "zod";
import { InputError } from "./errors.js";
import { DEFAULT_MAX_REMOVAL_SHARE } from "./feed/guard.js";
import { type Instance, parseInstance } from "./feed/instances.js";
import { DEFAULT_MAX_FEED_AGE_MS } from "./feed/staleness.js";
import { isSecureOrLoopback } from "./http/loopback.js";
import { feedVersionSchema, GUID } from "./ids.js";
import { validate } from "./validation.js";

/** The product's own settings, read from app settings or the environment; storage settings live in state/open.ts. */
export interface Settings {
  feedBaseUrl: string;
  /** 0..1: the share of last good EOP addresses a new feed may drop before it is refused. */
  maxRemovalShare: number;
  /** A feed version an admin accepted although it drops more than the share allows. */
  acceptVersion: string | undefined;
  /** Instances whose feed the hourly timer keeps fresh besides those already in use. */
  instances: Instance[];
  /** Largest inventory the HTTP endpoint takes. */
  maxInventoryBytes: number;
  /** How old the feed in force may be, when it cannot be brought up to date, before checks fail rather than use it. */
  maxFeedAgeMs: number;
  /** Runs kept per tenant, with their reports; older ones are deleted. */
  keepRuns: number;
  /** Alerts: the mailbox mail is sent from, Graph's root, and the app's public root for links. */
  mailSender: string | undefined;
  graphBaseUrl: string;
  publicBaseUrl: string | undefined;
  /** The Exchange Online admin endpoint, read live at each check when an app is configured; undefined otherwise. */
  exchangeOnline: ExchangeOnlineSettings | undefined;
  /** DNS and probes from the outside: resolvers, blocklists, the egress addresses to look up, and whether to probe port 25. */
  outside: OutsideSettings;
}

export interface OutsideSettings {
  /** `address` or `address:port` of the resolvers to ask; undefined: the system's. */
  dnsServers: string[] | undefined;
  /** DNS blocklist zones the egress addresses are looked up in; none: no lookups. */
  blocklists: string[];
  /** The on-premises egress addresses for every tenant, besides those a state document names. */
  egressAddresses: string[];
  /** Probe the smart hosts on port 25 from the function; off where the platform blocks it (most Azure subscriptions). */
  probeSmartHosts: boolean;
}

export interface ExchangeOnlineSettings {
  baseUrl: string;
  /** The app registration with Exchange.ManageAsApp (multi-tenant for a provider). */
  clientId: string;
  /** Its certificate with the private key, PEM (the text, e.g. a Key Vault reference, or a file); or a managed identity instead. */
  certificate?: { pem: string } | { path: string } | undefined;
  managedIdentityClientId?: string | undefined;
}

const share = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?%?$/, { message: 'expected a share such as "0.25" or "25%"' })
  .transform((s) => (s.endsWith("%") ? Number(s.slice(0, -1)) / 100 : Number(s)))
  .refine((n) => n > 0 && n <= 1, { message: "expected a share above 0 and at most 100%" });

const HOUR_MS = 60 * 60 * 1000;

const age = z
  .string()
  .trim()
  .regex(/^[1-9]\d*\s*[dh]$/i, { message: 'expected whole days or hours, such as "7d" or "36h"' })
  .transform((s) => Number.parseInt(s, 10) * (s.slice(-1).toLowerCase() === "d" ? 24 : 1) * HOUR_MS);

/** A comma-separated list, blanks dropped, each item checked. */
function listOf(item: z.ZodType<string, string>, what: string) {
  return z
    .string()
    .transform((s) =>
      s
        .split(",")
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item, { message: what }));
}

const dnsServer = z.string().refine(isDnsServer, { message: 'expected resolvers such as "10.0.0.4" or "127.0.0.1:5353", comma-separated' });
const dnsZone = z
  .string()
  .regex(/^(?!-)[a-z0-9-]{1,63}(?:\.(?!-)[a-z0-9-]{1,63})+\.?$/i, { message: 'expected DNS zones such as "zen.spamhaus.org"' });
const ipAddress = z.string().refine((s) => isIP(s) !== 0, { message: "expected IPv4 or IPv6 addresses, comma-separated" });
const flag = z.enum(["true", "false"], { message: 'expected "true" or "false"' }).transform((s) => s === "true");

/** `1.2.3.4`, `1.2.3.4:53`, `::1` or `[::1]:53`, as node:dns takes them. */
function isDnsServer(text: string): boolean {
  const bracketed = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text);
  if (bracketed) return isIP(bracketed[1] ?? "") === 6 && Number(bracketed[2]) <= 65535;
  if (isIP(text) !== 0) return true;
  const withPort = /^([^:]+):(\d{1,5})$/.exec(text);
  return withPort !== null && isIP(withPort[1] ?? "") === 4 && Number(withPort[2]) <= 65535;
}

const env = z.object({
  M365_ENDPOINTS_BASE_URL: z.url({ protocol: /^https?$/, message: "expected an http(s) URL" }).default("https://endpoints.office.com"),
  MAILFLOW_GUARD_MAX_REMOVAL_SHARE: share.optional(),
  MAILFLOW_GUARD_ACCEPT_FEED_VERSION: feedVersionSchema.optional(),
  MAILFLOW_GUARD_INSTANCES: z.string().default("Worldwide"),
  MAILFLOW_GUARD_MAX_INVENTORY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(32 * 1024 * 1024),
  MAILFLOW_GUARD_MAX_FEED_AGE: age.optional(),
  MAILFLOW_GUARD_KEEP_RUNS: z.coerce.number().int().positive().default(30),
  MAILFLOW_GUARD_MAIL_SENDER: z.email({ message: "expected the mail address of the sending mailbox" }).optional(),
  MAILFLOW_GUARD_GRAPH_BASE_URL: z
    .string()
    .refine(isSecureOrLoopback, { message: "expected an https URL such as https://graph.microsoft.com/v1.0 (http only to a loopback address)" })
    .default("https://graph.microsoft.com/v1.0"),
  MAILFLOW_GUARD_PUBLIC_BASE_URL: z
    .url({ protocol: /^https$/, message: "expected the https URL of the app's API, such as https://app.azurewebsites.net/api" })
    .optional(),
  MAILFLOW_GUARD_EXO_BASE_URL: z
    .string()
    .refine(isSecureOrLoopback, { message: "expected an https URL such as https://outlook.office365.com (http only to a loopback address)" })
    .default("https://outlook.office365.com"),
  MAILFLOW_GUARD_EXO_CLIENT_ID: z.string().trim().regex(GUID, { message: "expected the app's client id, a GUID" }).optional(),
  MAILFLOW_GUARD_EXO_CERTIFICATE: z
    .string()
    .refine(isPemWithKey, { message: "expected the app's certificate and private key in PEM (not shown)" })
    .optional(),
  MAILFLOW_GUARD_EXO_CERTIFICATE_PATH: z.string().trim().min(1).optional(),
  MAILFLOW_GUARD_EXO_MANAGED_IDENTITY_CLIENT_ID: z
    .string()
    .trim()
    .regex(GUID, { message: "expected the managed identity's client id, a GUID" })
    .optional(),
  MAILFLOW_GUARD_DNS_SERVERS: listOf(dnsServer, "expected resolvers").optional(),
  MAILFLOW_GUARD_BLOCKLISTS: listOf(dnsZone, "expected DNS zones").optional(),
  MAILFLOW_GUARD_EGRESS_ADDRESSES: listOf(ipAddress, "expected addresses").optional(),
  MAILFLOW_GUARD_PROBE_SMART_HOSTS: flag.default(false),
});

function isPemWithKey(text: string): boolean {
  return text.includes("-----BEGIN") && text.includes("PRIVATE KEY-----");
}

/** Reads the settings; a bad value is one InputError line naming the setting. */
export function settingsFromEnv(source: Record<string, string | undefined>): Settings {
  const known = Object.fromEntries(Object.keys(env.shape).map((k) => [k, source[k] === "" ? undefined : source[k]]));
  const parsed = validate(env, known, "settings");
  return {
    feedBaseUrl: parsed.M365_ENDPOINTS_BASE_URL,
    maxRemovalShare: parsed.MAILFLOW_GUARD_MAX_REMOVAL_SHARE ?? DEFAULT_MAX_REMOVAL_SHARE,
    acceptVersion: parsed.MAILFLOW_GUARD_ACCEPT_FEED_VERSION,
    instances: parsed.MAILFLOW_GUARD_INSTANCES.split(",")
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => parseInstance(s)),
    maxInventoryBytes: parsed.MAILFLOW_GUARD_MAX_INVENTORY_BYTES,
    maxFeedAgeMs: parsed.MAILFLOW_GUARD_MAX_FEED_AGE ?? DEFAULT_MAX_FEED_AGE_MS,
    keepRuns: parsed.MAILFLOW_GUARD_KEEP_RUNS,
    mailSender: parsed.MAILFLOW_GUARD_MAIL_SENDER,
    graphBaseUrl: parsed.MAILFLOW_GUARD_GRAPH_BASE_URL,
    publicBaseUrl: parsed.MAILFLOW_GUARD_PUBLIC_BASE_URL,
    exchangeOnline: exchangeOnlineSettings(parsed),
    outside: {
      dnsServers: parsed.MAILFLOW_GUARD_DNS_SERVERS?.length ? parsed.MAILFLOW_GUARD_DNS_SERVERS : undefined,
      blocklists: (parsed.MAILFLOW_GUARD_BLOCKLISTS ?? []).map((zone) => zone.replace(/\.$/, "").toLowerCase()),
      egressAddresses: parsed.MAILFLOW_GUARD_EGRESS_ADDRESSES ?? [],
      probeSmartHosts: parsed.MAILFLOW_GUARD_PROBE_SMART_HOSTS,
    },
  };
}

/** The live read is on when an app is named; then exactly one way to sign in must be given. */
function exchangeOnlineSettings(parsed: z.output<typeof env>): ExchangeOnlineSettings | undefined {
  const clientId = parsed.MAILFLOW_GUARD_EXO_CLIENT_ID;
  const pem = parsed.MAILFLOW_GUARD_EXO_CERTIFICATE;
  const path = parsed.MAILFLOW_GUARD_EXO_CERTIFICATE_PATH;
  const identity = parsed.MAILFLOW_GUARD_EXO_MANAGED_IDENTITY_CLIENT_ID;
  const ways = [pem, path, identity].filter((w) => w !== undefined).length;
  if (clientId === undefined) {
    if (ways > 0)
      throw new InputError("names a way to sign in to Exchange Online but no app: set MAILFLOW_GUARD_EXO_CLIENT_ID too", { source: "settings" });
    return undefined;
  }
  if (ways !== 1) {
    throw new InputError(
      "expected exactly one of MAILFLOW_GUARD_EXO_CERTIFICATE, MAILFLOW_GUARD_EXO_CERTIFICATE_PATH or " +
        "MAILFLOW_GUARD_EXO_MANAGED_IDENTITY_CLIENT_ID with MAILFLOW_GUARD_EXO_CLIENT_ID",
      { source: "settings" },
    );
  }
  return {
    baseUrl: parsed.MAILFLOW_GUARD_EXO_BASE_URL,
    clientId,
    certificate: pem !== undefined ? { pem } : path !== undefined ? { path } : undefined,
    managedIdentityClientId: identity,
  };
}
