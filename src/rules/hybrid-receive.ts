import { finding } from "../core/finding.js";
import type { Rule } from "../core/rule.js";
import { CLOUD_CAPABILITIES, EOP_TLS_DOMAIN, isCloudTrusted } from "../hybrid/presented.js";
import { RangeSet } from "../ip/index.js";

const EVERYTHING = { 4: RangeSet.parse(["0.0.0.0/0"]), 6: RangeSet.parse(["::/0"]) };

/**
 * No enabled receive connector bound to port 25 carries the TLS domain
 * capability that marks Exchange Online's mail as the organisation's own:
 * cross-premises mail then arrives Anonymous. Which connector should carry it
 * is the admin's call (Default Frontend on 2013+, a dedicated one on 2010),
 * so nothing is proposed.
 */
export const hybridReceiveNotTrusted: Rule = {
  id: "hybrid-receive-not-trusted",
  needs: ["hybrid"],
  evaluate(o) {
    const connectors = o.hybrid?.onPremises?.receiveConnectors;
    if (!connectors || connectors.length === 0) return [];
    const on25 = connectors.filter((c) => c.enabled && c.ports.includes(25));
    if (on25.some(isCloudTrusted)) return [];
    return [
      finding({
        rule: "hybrid-receive-not-trusted",
        severity: "error",
        subject: { kind: "organisation", name: o.tenant },
        summary:
          `No receive connector on port 25 carries TlsDomainCapabilities ${EOP_TLS_DOMAIN}:${CLOUD_CAPABILITIES[0]} ` +
          `(${CLOUD_CAPABILITIES[1]} on Exchange 2010): ${on25.map((c) => c.identity).join(", ") || "none is bound to port 25"}.`,
        impact:
          "Mail from Exchange Online arrives Anonymous: it is spam-filtered, out-of-office replies go as external, and the sender's " +
          "display name and the hybrid headers are lost. Set the capability on the connector that takes EOP's mail " +
          "(Set-ReceiveConnector -TlsDomainCapabilities), or run the Hybrid Configuration Wizard again.",
        evidence: { port25: on25.map((c) => ({ identity: c.identity, tlsDomainCapabilities: c.tlsDomainCapabilities })) },
        substance: on25.map((c) => c.identity).sort(),
      }),
    ];
  },
};

/**
 * A receive connector trusted for cloud mail accepts connections from every
 * address, and no allowlist in the inventory narrows port 25: anyone can
 * reach the connector that treats Exchange Online's mail as internal, and
 * only the certificate stands between them.
 */
export const connectorOpenToInternet: Rule = {
  id: "connector-open-to-internet",
  needs: ["hybrid"],
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
          severity: "warning",
          subject: { kind: "receive-connector", name: c.identity },
          summary:
            `Receive connector ${c.identity} is trusted for Exchange Online's mail and accepts from every address, and no allowlist ` +
            "in the inventory limits port 25 to the EOP ranges.",
          impact:
            "Any host on the internet can connect to the connector that takes hybrid mail; only TLS certificate checks keep spoofed " +
            '"internal" mail out. Limit port 25 at the firewall to the EOP ranges and add that allowlist to the inventory.',
          evidence: { remoteIPRanges: c.remoteIPRanges.slice(0, 10), allowlists: o.inventory.allowlists.map((a) => a.name) },
          substance: { open: true, allowlists: o.inventory.allowlists.map((a) => a.name).sort() },
        }),
      );
  },
};
