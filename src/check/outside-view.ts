import type { OutsideSettings } from "../config.js";
import type { OutsideEvidence } from "../core/check.js";
import type { DnsObservation, Observations, ProbeObservation } from "../core/observations.js";
import { lookUpBlocklists } from "../dns/blocklist.js";
import type { DnsClient } from "../dns/dns-client.js";
import { resolveSmartHosts, type SmartHostRoutes } from "../dns/smart-host-routes.js";
import type { HybridState } from "../hybrid/hybrid-state.js";
import { routesToOnPremises } from "../hybrid/smart-hosts.js";
import { RangeSet } from "../ip/index.js";
import type { ProbeResult } from "../probe/probe-result.js";
import { LOCAL_RANGES } from "../rules/eop-targets.js";

/** The outside view's sources; each is optional, and what is absent is not looked at. */
export interface OutsideDeps {
  dns?: DnsClient | undefined;
  /** Present when the check probes port 25 itself; `address` is where DNS said the host is, when it was asked. */
  probe?: ((host: string, port: number, address?: string) => Promise<ProbeResult>) | undefined;
  outside?: Pick<OutsideSettings, "blocklists" | "egressAddresses"> | undefined;
}

const SMTP_PORT = 25;
/** Blocklists never list these: the unspecified addresses a send connector shows when it binds to all, and IPv4 written as IPv6. */
const NOT_EGRESS = LOCAL_RANGES.union(RangeSet.parse(["0.0.0.0/8", "::", "::ffff:0:0/96"]));

/**
 * Asks DNS about the smart hosts Exchange Online sends to and the egress
 * addresses, and probes the hosts the smart hosts lead to when the check may;
 * merges the probes with those uploaded with the state document.
 */
export async function observeOutside(
  hybrid: HybridState | undefined,
  deps: OutsideDeps,
): Promise<{ dns?: DnsObservation; probes?: ProbeObservation }> {
  const smartHostNames = [...new Set(routesToOnPremises(hybrid).flatMap((r) => r.smartHosts))];
  const egressAddresses = egressOf(hybrid, deps.outside?.egressAddresses ?? []);
  const zones = deps.outside?.blocklists ?? [];
  let dns: DnsObservation | undefined;
  if (deps.dns && (smartHostNames.length > 0 || (egressAddresses.length > 0 && zones.length > 0))) {
    const [smartHosts, blocklists] = await Promise.all([
      resolveSmartHosts(deps.dns, smartHostNames),
      lookUpBlocklists(deps.dns, egressAddresses, zones),
    ]);
    dns = { servers: deps.dns.servers, smartHosts, egressAddresses: zones.length > 0 ? egressAddresses : [], blocklists };
  }
  const own = deps.probe ? await probeAll(deps.probe, probeTargets(smartHostNames, dns?.smartHosts)) : [];
  const probes = mergeProbes(hybrid?.probes ?? [], own, deps.probe !== undefined);
  return { ...(dns && { dns }), ...(probes && { probes }) };
}

/** The public addresses among the setting's, the document's and the send connectors' source addresses. */
function egressOf(hybrid: HybridState | undefined, configured: readonly string[]): string[] {
  const sources = (hybrid?.onPremises?.sendConnectors ?? []).filter((c) => c.enabled).map((c) => c.sourceIPAddress);
  const all = [...configured, ...(hybrid?.egressAddresses ?? []), ...sources].filter((a): a is string => a !== undefined);
  return [...new Set(all)].filter((a) => !NOT_EGRESS.overlaps(RangeSet.parse([a])));
}

/**
 * The hosts mail is delivered to, each once: every smart host's MX hosts, its
 * own name, or its address; with the first address DNS gave, so the probe
 * goes where the configured resolvers (as Exchange Online's) say, not the
 * machine's own.
 */
function probeTargets(names: readonly string[], resolved: readonly SmartHostRoutes[] | undefined): { host: string; address?: string }[] {
  if (!resolved) return names.map((host) => ({ host }));
  const targets = new Map<string, string | undefined>();
  for (const h of resolved.flatMap((r) => r.hosts)) if (h.status === "resolved" && !targets.has(h.name)) targets.set(h.name, h.addresses[0]);
  return [...targets].map(([host, address]) => (address === undefined ? { host } : { host, address }));
}

async function probeAll(probe: NonNullable<OutsideDeps["probe"]>, targets: readonly { host: string; address?: string }[]): Promise<ProbeResult[]> {
  return Promise.all(targets.map((t) => probe(t.host, SMTP_PORT, t.address)));
}

function mergeProbes(uploaded: readonly ProbeResult[], own: readonly ProbeResult[], probedHere: boolean): ProbeObservation | undefined {
  if (!probedHere && uploaded.length === 0) return undefined;
  const key = (p: ProbeResult) => `${p.host.toLowerCase()}:${p.port}`;
  const results = new Map<string, ProbeObservation["results"][number]>();
  for (const p of uploaded) results.set(key(p), { ...p, source: "document" });
  const unavailable: ProbeObservation["unavailable"] = [];
  for (const p of own) {
    if (p.failedAt === "connect") unavailable.push({ host: p.host, port: p.port, error: p.error ?? "could not connect" });
    else results.set(key(p), { ...p, source: "check" });
  }
  return { results: [...results.values()], probedHere, unavailable };
}

/** The outside view as the report shows it; absent when the check had no smart host, egress address or probe to speak of. */
export function outsideEvidence(o: Observations): OutsideEvidence | undefined {
  if (!o.dns && !o.probes && routesToOnPremises(o.hybrid).length === 0) return undefined;
  const dns = o.dns && {
    servers: o.dns.servers,
    smartHosts: o.dns.smartHosts.map((h) => ({
      name: h.name,
      via: h.via,
      status: h.status,
      ...(h.error !== undefined && { error: h.error }),
      hosts: h.hosts.map((x) => ({ name: x.name, preference: x.preference, addresses: x.addresses })),
    })),
    blocklists: o.dns.blocklists.map((l) => ({ address: l.address, zone: l.zone, status: l.status, error: l.error })),
  };
  const probes = {
    probedHere: o.probes?.probedHere ?? false,
    results: (o.probes?.results ?? []).map((p) => ({
      host: p.host,
      port: p.port,
      source: p.source,
      tlsVersion: p.tlsVersion ?? null,
      certificate: p.certificate?.subject ?? null,
      error: p.error ?? null,
    })),
    unavailable: o.probes?.unavailable ?? [],
  };
  return { ...(dns && { dns }), probes };
}
