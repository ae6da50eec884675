import { Resolver } from "node:dns/promises";

/**
 * What a DNS question got: records, the name does not exist (NXDOMAIN), it
 * exists without records of the type (NODATA), or no answer could be had
 * (a timeout, SERVFAIL, REFUSED), which says nothing about the name.
 */
export type DnsAnswer<T> = { status: "found"; records: T[] } | { status: "nxdomain" } | { status: "nodata" } | { status: "failed"; error: string };

export interface MxRecord {
  exchange: string;
  preference: number;
}

/** The lookups the checks make; one implementation on node:dns, tests point it at a server on 127.0.0.1. */
export interface DnsClient {
  /** Which resolvers answer, for the report: `system` or the configured list. */
  readonly servers: string;
  mx(name: string): Promise<DnsAnswer<MxRecord>>;
  a(name: string): Promise<DnsAnswer<string>>;
  aaaa(name: string): Promise<DnsAnswer<string>>;
  txt(name: string): Promise<DnsAnswer<string>>;
}

export interface DnsClientOptions {
  /** `address` or `address:port`; the system's resolvers when absent. */
  servers?: readonly string[] | undefined;
  /** Per try; a silent resolver costs `timeoutMs × tries`. */
  timeoutMs?: number;
  tries?: number;
}

const DEFAULT_TIMEOUT_MS = 2_000;
const DEFAULT_TRIES = 2;

/** c-ares' codes for a name that does not exist and for one without records of the type. */
const NXDOMAIN_CODES = new Set(["ENOTFOUND"]);
const NODATA_CODES = new Set(["ENODATA"]);

export function createDnsClient(options: DnsClientOptions = {}): DnsClient {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, tries: options.tries ?? DEFAULT_TRIES });
  if (options.servers && options.servers.length > 0) resolver.setServers([...options.servers]);
  return {
    servers: options.servers && options.servers.length > 0 ? options.servers.join(", ") : "system",
    mx: (name) =>
      ask(
        () => resolver.resolveMx(name),
        (r) => ({ exchange: r.exchange.toLowerCase(), preference: r.priority }),
      ),
    a: (name) =>
      ask(
        () => resolver.resolve4(name),
        (r) => r,
      ),
    aaaa: (name) =>
      ask(
        () => resolver.resolve6(name),
        (r) => r,
      ),
    // A TXT record is a list of strings that together make its text.
    txt: (name) =>
      ask(
        () => resolver.resolveTxt(name),
        (r) => r.join(""),
      ),
  };
}

async function ask<R, T>(query: () => Promise<R[]>, map: (record: R) => T): Promise<DnsAnswer<T>> {
  try {
    const records = await query();
    return records.length === 0 ? { status: "nodata" } : { status: "found", records: records.map(map) };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && NXDOMAIN_CODES.has(code)) return { status: "nxdomain" };
    if (typeof code === "string" && NODATA_CODES.has(code)) return { status: "nodata" };
    return { status: "failed", error: describe(code, error) };
  }
}

const MEANINGS: Record<string, string> = {
  ETIMEOUT: "no answer in time",
  ESERVFAIL: "the server failed (SERVFAIL)",
  EREFUSED: "the server refused the query (REFUSED)",
  ECONNREFUSED: "the resolver is not reachable",
};

function describe(code: unknown, error: unknown): string {
  if (typeof code === "string") return MEANINGS[code] ?? code;
  return error instanceof Error ? error.message : String(error);
}
