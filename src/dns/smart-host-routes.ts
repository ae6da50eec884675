import { isIP } from "node:net";
import type { DnsAnswer, DnsClient } from "./dns-client.js";

/**
 * How Exchange Online reaches a smart host, as its outbound connector does it
 * (RFC 5321 §5): the MX records of the name, by preference; without MX, the
 * name's own A/AAAA; an address is used as it is. A name with MX records is
 * never delivered to by its A record.
 */
export interface SmartHostRoutes {
  /** As the connector names it, lower-case. */
  name: string;
  via: "mx" | "address" | "ip";
  /** `unknown`: the resolvers gave no answer, which says nothing about the name. */
  status: "resolved" | "unresolvable" | "unknown";
  /** Why it is unresolvable or unknown, one line. */
  error?: string | undefined;
  hosts: RouteHost[];
}

export interface RouteHost {
  name: string;
  /** The MX preference, for `via: "mx"`. */
  preference?: number | undefined;
  addresses: string[];
  status: "resolved" | "unresolvable" | "unknown";
  error?: string | undefined;
  /** Resolved, but the A or the AAAA lookup gave no answer: there may be more addresses than these. */
  incomplete?: string | undefined;
}

/** Each distinct smart host once, resolved in parallel. */
export async function resolveSmartHosts(dns: DnsClient, names: readonly string[]): Promise<SmartHostRoutes[]> {
  const unique = [...new Set(names.map(normalise))];
  return Promise.all(unique.map((name) => resolveSmartHost(dns, name)));
}

/** `[192.0.2.25]` and `mail.contoso.com.` as Exchange accepts them, compared as `192.0.2.25` and `mail.contoso.com`. */
export function normalise(name: string): string {
  return name
    .trim()
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "")
    .toLowerCase();
}

async function resolveSmartHost(dns: DnsClient, name: string): Promise<SmartHostRoutes> {
  if (isIP(name) !== 0) return { name, via: "ip", status: "resolved", hosts: [{ name, addresses: [name], status: "resolved" }] };
  const mx = await dns.mx(name);
  if (mx.status === "nxdomain") return { name, via: "mx", status: "unresolvable", error: "the name does not exist (NXDOMAIN)", hosts: [] };
  if (mx.status === "failed") return { name, via: "mx", status: "unknown", error: `MX lookup: ${mx.error}`, hosts: [] };
  if (mx.status === "found") {
    const hosts = await Promise.all(
      [...mx.records]
        .sort((a, b) => a.preference - b.preference)
        .map(async (r) => ({ ...(await routeHost(dns, r.exchange)), preference: r.preference })),
    );
    return { name, via: "mx", ...overall(hosts), hosts };
  }
  const host = await routeHost(dns, name);
  const error = host.status === "unresolvable" ? "no MX, A or AAAA records" : host.error;
  return { name, via: "address", status: host.status, error, hosts: [host] };
}

/** One host's addresses from A and AAAA; an answer from either is enough to deliver. */
async function routeHost(dns: DnsClient, name: string): Promise<RouteHost> {
  // A null MX (RFC 7505, exchange ".") says the domain takes no mail.
  if (name === "" || name === ".") return { name: ".", addresses: [], status: "unresolvable", error: "a null MX: the name takes no mail" };
  const [a, aaaa] = await Promise.all([dns.a(name), dns.aaaa(name)]);
  const addresses = [...found(a), ...found(aaaa)];
  const failed = [a, aaaa].find((x) => x.status === "failed");
  if (addresses.length > 0) {
    return failed?.status === "failed"
      ? { name, addresses, status: "resolved", incomplete: `${failed === a ? "A" : "AAAA"} lookup: ${failed.error}` }
      : { name, addresses, status: "resolved" };
  }
  if (failed?.status === "failed") return { name, addresses, status: "unknown", error: `address lookup: ${failed.error}` };
  const error = a.status === "nxdomain" ? "the name does not exist (NXDOMAIN)" : "no A or AAAA records";
  return { name, addresses, status: "unresolvable", error };
}

function found(answer: DnsAnswer<string>): string[] {
  return answer.status === "found" ? answer.records : [];
}

/** Resolved when any MX host has an address; unknown when none does but some lookup failed. */
function overall(hosts: readonly RouteHost[]): Pick<SmartHostRoutes, "status" | "error"> {
  if (hosts.some((h) => h.status === "resolved")) return { status: "resolved" };
  if (hosts.some((h) => h.status === "unknown")) return { status: "unknown", error: "no MX host's addresses could be looked up" };
  return { status: "unresolvable", error: "no MX host has an address" };
}
