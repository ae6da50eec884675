import { isIPv4 } from "node:net";
import { parseIPv6 } from "../ip/index.js";
import type { DnsClient } from "./dns-client.js";

/** One address looked up in one DNS blocklist zone. */
export interface BlocklistLookup {
  address: string;
  zone: string;
  /** `unknown`: no usable answer (the list refused the query, or no answer came); never a listing. */
  status: "listed" | "not-listed" | "unknown";
  /** The A records of a listing or of a refusal. */
  answers?: string[] | undefined;
  /** The list's TXT text for a listing: usually the reason and where to ask for removal. */
  reason?: string | undefined;
  /** Why the status is unknown, one line. */
  error?: string | undefined;
}

/**
 * Answers in 127.0.0.0/24 are listings. Lists answer other 127.x addresses
 * when they refuse to answer; Spamhaus documents these, others follow them.
 */
const REFUSALS: Record<string, string> = {
  "127.255.255.252": "the list says the zone name is wrong",
  "127.255.255.254": "the list refuses queries through public or open resolvers",
  "127.255.255.255": "the list refuses: too many queries from this resolver",
};

/** Every address in every zone, in parallel. */
export async function lookUpBlocklists(dns: DnsClient, addresses: readonly string[], zones: readonly string[]): Promise<BlocklistLookup[]> {
  const pairs = addresses.flatMap((address) => zones.map((zone) => ({ address, zone })));
  return Promise.all(pairs.map(({ address, zone }) => lookUp(dns, address, zone)));
}

async function lookUp(dns: DnsClient, address: string, zone: string): Promise<BlocklistLookup> {
  const name = `${reversed(address)}.${zone}`;
  const answer = await dns.a(name);
  if (answer.status === "nxdomain" || answer.status === "nodata") return { address, zone, status: "not-listed" };
  if (answer.status === "failed") return { address, zone, status: "unknown", error: answer.error };
  const answers = answer.records;
  const refusal = answers.map((a) => REFUSALS[a]).find((r) => r !== undefined);
  if (refusal) return { address, zone, status: "unknown", answers, error: `${refusal} (${answers.join(", ")})` };
  if (!answers.every((a) => a.startsWith("127.0.0."))) {
    const error = `${answers.join(", ")} is not a blocklist answer (a resolver that answers every name, or a list's error code)`;
    return { address, zone, status: "unknown", answers, error };
  }
  const txt = await dns.txt(name);
  return { address, zone, status: "listed", answers, reason: txt.status === "found" ? txt.records.join(" ") : undefined };
}

/**
 * The name a blocklist is asked under: the octets of an IPv4 address
 * reversed, or the 32 nibbles of an IPv6 address reversed.
 *
 * @example reversed("192.0.2.25") // "25.2.0.192"
 */
export function reversed(address: string): string {
  if (isIPv4(address)) return address.split(".").reverse().join(".");
  const value = parseIPv6(address);
  if (value === undefined) throw new Error(`not an IP address: ${address}`);
  return value.toString(16).padStart(32, "0").split("").reverse().join(".");
}
