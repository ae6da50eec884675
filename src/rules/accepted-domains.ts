import { finding } from "../core/finding.js";
import type { Rule } from "../core/rule.js";

/** `*`, or a wildcard over a whole top-level domain (`*.com`): every domain, or every domain under it. */
const WHOLE_TOP_LEVEL = /^\*(?:\.[^.]+)?$/;

/**
 * On-premises, an accepted domain `*` (or `*.com`, every domain under a
 * top-level domain) of a relay type: Exchange then relays
 * mail for every domain, which makes the organisation an open relay (and,
 * on some cumulative updates, crashes the transport services). HealthChecker
 * reports it as an error ("Open Relay Wild Card Domain",
 * https://aka.ms/HC-OpenRelayDomain) on the very capture this product is
 * tested with (E19-GetAcceptedDomain_Bad.xml). Anonymous relay belongs on a
 * receive connector scoped to the hosts that need it. Nothing is proposed:
 * removing the domain stops whatever relies on it today, which the admin
 * must find first.
 */
export const acceptedDomainOpenRelay: Rule = {
  id: "accepted-domain-open-relay",
  needs: ["hybrid"],
  parts: ["onPremises.acceptedDomains"],
  evaluate(o) {
    return (o.hybrid?.onPremises?.acceptedDomains ?? [])
      .filter((d) => WHOLE_TOP_LEVEL.test(d.domainName) && d.domainType !== "Authoritative")
      .map((d) =>
        finding({
          rule: "accepted-domain-open-relay",
          severity: "error",
          subject: { kind: "accepted-domain", name: d.name },
          summary:
            d.domainName === "*"
              ? `On-premises, the accepted domain ${d.name} is * (every domain) as ${d.domainType}: Exchange relays mail for any domain.`
              : `On-premises, the accepted domain ${d.name} is ${d.domainName} as ${d.domainType}: Exchange relays mail for every domain under it.`,
          impact:
            "The organisation is an open relay for whoever can reach a receive connector that accepts the mail: its addresses end up on " +
            "blocklists and its mail is refused. Relay for applications belongs on a receive connector limited to their addresses " +
            "(https://aka.ms/HC-OpenRelayDomain); remove the accepted domain once nothing depends on it.",
          evidence: { acceptedDomain: d.name, domainName: d.domainName, domainType: d.domainType },
          substance: { domainType: d.domainType },
        }),
      );
  },
};
