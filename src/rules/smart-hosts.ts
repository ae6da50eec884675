import { type Finding, finding } from "../core/finding.js";
import type { Observations } from "../core/observations.js";
import type { Rule } from "../core/rule.js";
import type { SmartHostRoutes } from "../dns/smart-host-routes.js";
import { type RouteToOnPremises, routesToOnPremises } from "../hybrid/smart-hosts.js";
import { formatIPv6, parseIPv6 } from "../ip/index.js";

/** Each route to on-premises with what DNS said of its smart hosts; a route whose names were not looked up is left out. */
function resolvedRoutes(o: Observations): { route: RouteToOnPremises; hosts: SmartHostRoutes[] }[] {
  const byName = new Map((o.dns?.smartHosts ?? []).map((r) => [r.name, r]));
  return routesToOnPremises(o.hybrid).flatMap((route) => {
    const hosts = route.smartHosts.map((n) => byName.get(n)).filter((r) => r !== undefined);
    return hosts.length === route.smartHosts.length ? [{ route, hosts }] : [];
  });
}

function routeName(route: RouteToOnPremises): string {
  return route.subject.kind === "outbound-connector" ? `Exchange Online's outbound connector ${route.subject.name}` : "The hybrid configuration";
}

/** The smart hosts DNS says do not exist or lead nowhere; a name DNS gave no answer for is not judged. */
export const smartHostUnresolvable: Rule = {
  id: "smart-host-unresolvable",
  needs: ["dns"],
  evaluate(o) {
    const out: Finding[] = [];
    for (const { route, hosts } of resolvedRoutes(o)) {
      const dead = hosts.filter((h) => h.status === "unresolvable");
      // MX hosts without an address under a name that still has a working one.
      const deadMx = hosts
        .filter((h) => h.status === "resolved")
        .flatMap((h) => h.hosts.filter((x) => x.status === "unresolvable").map((x) => ({ h, x })));
      if (dead.length === 0 && deadMx.length === 0) continue;
      const nothingLeft = hosts.every((h) => h.status === "unresolvable");
      const problems = [
        ...dead.map((h) => `${h.name}: ${h.error ?? "unresolvable"}`),
        ...deadMx.map(({ h, x }) => `${h.name}'s MX host ${x.name}: ${x.error ?? "no address"}`),
      ];
      out.push(
        finding({
          rule: "smart-host-unresolvable",
          severity: nothingLeft ? "error" : "warning",
          subject: route.subject,
          summary: `${routeName(route)} names smart hosts that DNS cannot resolve: ${problems.join("; ")}.`,
          impact: nothingLeft
            ? "Exchange Online has nowhere to deliver: mail from the cloud to on-premises mailboxes queues and is returned after about 48 hours."
            : "Exchange Online tries the hosts that do resolve; mail still flows, but with less redundancy than the connector suggests.",
          evidence: { smartHosts: hosts.map(briefRoutes), resolvers: o.dns?.servers },
          substance: { problems: [...problems].sort() },
        }),
      );
    }
    return out;
  },
};

/**
 * Every route ends at one address (one smart host with one A record, or MX
 * hosts that share an address), or an MX zone spreads mail evenly over hosts
 * in different networks, where primary/DR routing wants the DR host at a
 * higher preference (two hosts at 10, the DR host at 20).
 */
export const smartHostNoFailover: Rule = {
  id: "smart-host-no-failover",
  needs: ["dns"],
  evaluate(o) {
    const out: Finding[] = [];
    for (const { route, hosts } of resolvedRoutes(o)) {
      // Only what DNS fully answered: a host whose lookup failed may be the failover this would deny.
      const fully = hosts.every((h) => h.status === "resolved" && h.hosts.every((x) => x.status !== "unknown" && x.incomplete === undefined));
      if (!fully) continue;
      const addresses = [...new Set(hosts.flatMap((h) => h.hosts.flatMap((x) => x.addresses)))];
      if (addresses.length === 1) {
        out.push(
          finding({
            rule: "smart-host-no-failover",
            severity: "warning",
            subject: route.subject,
            summary: `${routeName(route)} reaches on-premises at one address only (${addresses[0]}, from ${route.smartHosts.join(", ")}).`,
            impact:
              "When that server or its firewall is down, mail from Exchange Online to on-premises queues until it is back. Publish a " +
              "second host (MX records at one preference for load balancing, or a higher preference for a DR site) or name a second smart host.",
            evidence: { smartHosts: hosts.map(briefRoutes), resolvers: o.dns?.servers },
            substance: { addresses },
          }),
        );
        continue;
      }
      for (const h of hosts) {
        const flat = flatAcrossNetworks(h);
        if (!flat) continue;
        out.push(
          finding({
            rule: "smart-host-no-failover",
            severity: "warning",
            subject: route.subject,
            summary:
              `${routeName(route)} uses ${h.name}, whose ${h.hosts.length} MX records all have preference ${flat.preference}, ` +
              `across ${flat.networks.length} networks (${flat.networks.join(", ")}).`,
            impact:
              "Exchange Online spreads mail evenly over every host, a DR site's included, instead of failing over to it. For primary/DR " +
              "routing give the DR host a higher preference (e.g. two hosts at 10 and the DR host at 20); for active/active sites snooze this.",
            evidence: { smartHosts: hosts.map(briefRoutes), resolvers: o.dns?.servers },
            substance: { name: h.name, preference: flat.preference, networks: flat.networks },
          }),
        );
      }
    }
    return out;
  },
};

/** An MX name whose records share one preference while their addresses lie in more than one network (a /24, or a /48 for IPv6). */
function flatAcrossNetworks(h: SmartHostRoutes): { preference: number; networks: string[] } | undefined {
  if (h.via !== "mx" || h.hosts.length < 2) return undefined;
  const preferences = new Set(h.hosts.map((x) => x.preference));
  if (preferences.size !== 1) return undefined;
  const networks = [...new Set(h.hosts.flatMap((x) => x.addresses.map(networkOf)))].sort();
  return networks.length > 1 ? { preference: h.hosts[0]?.preference ?? 0, networks } : undefined;
}

function networkOf(address: string): string {
  const v6 = parseIPv6(address);
  if (v6 === undefined) return `${address.split(".").slice(0, 3).join(".")}.0/24`;
  return `${formatIPv6((v6 >> 80n) << 80n)}/48`;
}

/** What the report shows of a smart host: how it routes and where to. */
export function briefRoutes(h: SmartHostRoutes) {
  return {
    name: h.name,
    via: h.via,
    status: h.status,
    ...(h.error !== undefined && { error: h.error }),
    hosts: h.hosts.map((x) => ({ name: x.name, preference: x.preference, addresses: x.addresses, status: x.status })),
  };
}
