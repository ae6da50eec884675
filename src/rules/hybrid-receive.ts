import { finding } from "../core/finding.js";
import type { Observations } from "../core/observations.js";
import type { Rule } from "../core/rule.js";
import { notHybrid } from "../hybrid/deployment.js";
import type { ReceiveConnectorState } from "../hybrid/hybrid-state.js";
import { CLOUD_CAPABILITIES, EOP_TLS_DOMAIN, isCloudEnabled, isCloudTrusted } from "../hybrid/presented.js";
import { serverKey } from "../hybrid/references.js";
import { RangeSet } from "../ip/index.js";

const EVERYTHING = { 4: RangeSet.parse(["0.0.0.0/0"]), 6: RangeSet.parse(["::/0"]) };

/** Ports of Exchange's own internal and client receive connectors: a capability there is never what EOP's mail meets. */
const INTERNAL_PORTS = new Set([465, 475, 587, 717, 2525]);

function serverOf(c: ReceiveConnectorState): string {
  return serverKey(c.server ?? c.identity.split("\\")[0] ?? "");
}

/** The servers that take Exchange Online's mail: the hybrid configuration's receiving and Edge servers, when it names them. */
function receivingServers(o: Observations): { servers: Set<string>; edge: string[] } {
  const h = o.hybrid?.onPremises?.hybridConfiguration;
  const edge = h?.edgeTransportServers ?? [];
  return { servers: new Set([...(h?.receivingTransportServers ?? []), ...edge].map(serverKey)), edge };
}

/**
 * In a hybrid deployment, no enabled receive connector on the servers that
 * take Exchange Online's mail carries the TLS domain capability that makes it
 * the organisation's own (`mail.protection.outlook.com:AcceptCloudServicesMail`
 * since 2013, AcceptOorgProtocol on 2010 and on Edge servers): cross-premises
 * mail then arrives Anonymous. The capability belongs to the connector, not
 * to port 25 (a load balancer may map 25 to another port), so every enabled
 * connector counts except those on Exchange's internal and client ports. Not
 * judged without a hybrid deployment (an EOP-fronted organisation needs no
 * capability; HealthChecker too runs its hybrid checks only with a hybrid
 * configuration), nor where the hybrid mail arrives at Edge servers whose
 * connectors the document lacks (EdgeSync does not copy receive connectors).
 * Which connector should carry it is the admin's call, so nothing is proposed.
 * Sources: Set-ReceiveConnector -TlsDomainCapabilities; the hybrid wizard's
 * Set-ReceiveConnector on Default Frontend in a real wizard log
 * (SammyKrosoft/Hybrid-Config-Wiz-Checks); KB 3156771.
 */
export const hybridReceiveNotTrusted: Rule = {
  id: "hybrid-receive-not-trusted",
  needs: ["hybrid"],
  wholeParts: ["onPremises.receiveConnectors"],
  cannotJudge(o) {
    const hybrid = notHybrid(o.hybrid);
    if (hybrid) return hybrid;
    const { servers, edge } = receivingServers(o);
    const connectors = o.hybrid?.onPremises?.receiveConnectors ?? [];
    const edgeKeys = new Set(edge.map(serverKey));
    if (edge.length > 0 && !connectors.some((c) => edgeKeys.has(serverOf(c)))) {
      return `Exchange Online's mail arrives at the Edge Transport server${edge.length === 1 ? "" : "s"} ${edge.join(", ")}, whose receive connectors the document does not have (collect them on the Edge)`;
    }
    if (servers.size > 0 && !connectors.some((c) => servers.has(serverOf(c)))) {
      return `the hybrid configuration's receiving servers (${[...servers].join(", ")}) have no receive connectors in the document`;
    }
    return undefined;
  },
  evaluate(o) {
    const connectors = o.hybrid?.onPremises?.receiveConnectors ?? [];
    const { servers } = receivingServers(o);
    const onServers = servers.size === 0 ? connectors : connectors.filter((c) => servers.has(serverOf(c)));
    const candidates = onServers.filter((c) => c.enabled && (c.ports.length === 0 || c.ports.some((p) => !INTERNAL_PORTS.has(p))));
    if (candidates.some(isCloudTrusted)) return [];
    const elsewhere = candidates.filter(isCloudEnabled);
    const on25 = candidates.filter((c) => c.ports.includes(25));
    const named = (c: ReceiveConnectorState) =>
      `${c.identity} (${c.tlsDomainCapabilities.map((t) => `${t.domain}:${t.capabilities.join(",")}`).join("; ") || "no TlsDomainCapabilities"})`;
    return [
      finding({
        rule: "hybrid-receive-not-trusted",
        severity: "error",
        subject: { kind: "organisation", name: o.tenant },
        summary:
          `No receive connector that takes Exchange Online's mail carries TlsDomainCapabilities ${EOP_TLS_DOMAIN}:${CLOUD_CAPABILITIES[0]} ` +
          `(${CLOUD_CAPABILITIES[1]} on Exchange 2010 and Edge): ` +
          (elsewhere.length > 0
            ? `${elsewhere.map(named).join(", ")} name${elsewhere.length === 1 ? "s" : ""} another domain than ${EOP_TLS_DOMAIN}.`
            : `${on25.map(named).join(", ") || "none is bound to port 25"}.`),
        impact:
          "Mail from Exchange Online arrives Anonymous: it is spam-filtered, out-of-office replies go as external, and the sender's " +
          "display name and the hybrid headers are lost. Exchange grants the capability only to a sender whose certificate matches the " +
          `domain, and Exchange Online presents one for ${EOP_TLS_DOMAIN}. Set it on the connector that takes EOP's mail ` +
          `(Set-ReceiveConnector -TlsDomainCapabilities ${EOP_TLS_DOMAIN}:${CLOUD_CAPABILITIES[0]}), or run the Hybrid Configuration Wizard again.`,
        evidence: {
          receivingServers: [...servers],
          connectors: candidates.map((c) => ({ identity: c.identity, ports: c.ports, tlsDomainCapabilities: c.tlsDomainCapabilities })),
        },
        substance: candidates.map((c) => c.identity).sort(),
      }),
    ];
  },
};

/**
 * A receive connector trusted for cloud mail accepts connections from every
 * address, and no allowlist in the inventory narrows port 25. That is how the
 * hybrid wizard leaves Default Frontend on 2013 and later (it sets the
 * certificate and the capability, never RemoteIPRanges), and the trust
 * itself is bound to the certificate Exchange Online presents (TLS with
 * certificate validation before the capability is granted,
 * Set-ReceiveConnector -TlsDomainCapabilities), so it is news, not a fault:
 * anyone can still deliver there directly, past the tenant's own filtering
 * when the MX points to Exchange Online (the Exchange Team's "Locking down
 * Exchange on-premises when MX points to Office 365").
 */
export const connectorOpenToInternet: Rule = {
  id: "connector-open-to-internet",
  needs: ["hybrid"],
  parts: ["onPremises.receiveConnectors"],
  evaluate(o) {
    const connectors = o.hybrid?.onPremises?.receiveConnectors ?? [];
    const narrowed = o.inventory.allowlists.some((a) => !RangeSet.parse(a.entries).covers(EVERYTHING[4]));
    if (narrowed) return [];
    return connectors
      .filter((c) => c.enabled && isCloudTrusted(c) && c.remoteIPRanges.length > 0)
      .filter((c) => {
        const set = RangeSet.parse(c.remoteIPRanges);
        return set.covers(EVERYTHING[4]) || set.covers(EVERYTHING[6]);
      })
      .map((c) =>
        finding({
          rule: "connector-open-to-internet",
          severity: "info",
          subject: { kind: "receive-connector", name: c.identity },
          summary:
            `Receive connector ${c.identity} takes Exchange Online's mail as the organisation's own and accepts connections from every ` +
            "address, and no allowlist in the inventory limits port 25 to the EOP ranges.",
          impact:
            "This is how the hybrid wizard leaves it, and only a sender with Exchange Online's certificate gets the trust. But any host can " +
            "deliver to it directly: where the MX points to Exchange Online, such mail skips the tenant's filtering. Limiting port 25 at the " +
            "firewall to the EOP ranges (and adding that allowlist to the inventory) closes it.",
          evidence: { remoteIPRanges: c.remoteIPRanges.slice(0, 10), allowlists: o.inventory.allowlists.map((a) => a.name) },
          substance: { open: true, allowlists: o.inventory.allowlists.map((a) => a.name).sort() },
        }),
      );
  },
};
