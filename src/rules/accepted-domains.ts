import { finding } from "../core/finding.js";
import type { Rule } from "../core/rule.js";

/**
 * On-premises, an accepted domain `*` of a relay type: Exchange then relays
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
  evaluate(o) {
    return (o.hybrid?.onPremises?.acceptedDomains ?? [])
      .filter((d) => d.domainName === "*" && d.domainType !== "Authoritative")
      .map((d) =>
        finding({
          rule: "accepted-domain-open-relay",
          severity: "error",
          subject: { kind: "accepted-domain", name: d.name },
          summary: `On-premises, the accepted domain ${d.name} is * (every domain) as ${d.domainType}: Exchange relays mail for any domain.`,
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
