import { type Finding, finding, type PropertyChange } from "../core/finding.js";
import type { Observations } from "../core/observations.js";
import type { Rule } from "../core/rule.js";

/**
 * The tenant's initial domain prefix (`contoso` of contoso.onmicrosoft.com):
 * from the tenant's name, or from the `*.mail.onmicrosoft.com` domain either
 * side lists. Undefined when nothing says.
 */
export function tenantPrefix(o: Observations): string | undefined {
  const own = /^([a-z0-9-]+)\.onmicrosoft\.com$/.exec(o.tenant)?.[1];
  if (own) return own;
  const names = [
    ...(o.hybrid?.onPremises?.acceptedDomains ?? []).map((d) => d.domainName),
    ...(o.hybrid?.onPremises?.sendConnectors ?? []).flatMap((c) => c.addressSpaces),
    ...(o.hybrid?.exchangeOnline?.acceptedDomains ?? []).map((d) => d.domainName),
  ];
  for (const name of names) {
    const prefix = /^([a-z0-9-]+)\.mail\.onmicrosoft\.com$/.exec(name)?.[1];
    if (prefix) return prefix;
  }
  return undefined;
}

/**
 * On-premises, the routing domain `{tenant}.mail.onmicrosoft.com` must be an
 * InternalRelay accepted domain, so that mail for moved mailboxes (whose
 * target address is in it) leaves for Exchange Online instead of bouncing.
 */
export const routingDomainNotInternalRelay: Rule = {
  id: "routing-domain-not-internal-relay",
  needs: ["hybrid"],
  evaluate(o) {
    const domains = o.hybrid?.onPremises?.acceptedDomains;
    const prefix = tenantPrefix(o);
    if (!domains || !prefix) return [];
    const routing = `${prefix}.mail.onmicrosoft.com`;
    const found = domains.find((d) => d.domainName === routing);
    if (found?.domainType === "InternalRelay") return [];
    return [
      finding({
        rule: "routing-domain-not-internal-relay",
        severity: "error",
        subject: { kind: "accepted-domain", name: routing },
        summary: found
          ? `On-premises, the routing domain ${routing} is an ${found.domainType} accepted domain, not InternalRelay.`
          : `On-premises, the routing domain ${routing} is not an accepted domain (add it with New-AcceptedDomain -DomainType InternalRelay).`,
        impact:
          "Mail for mailboxes moved to Exchange Online is addressed to the routing domain: unless Exchange relays it internally, it " +
          "bounces with 550 5.4.1 or loops instead of reaching the cloud mailbox.",
        evidence: { routingDomain: routing, domainType: found?.domainType ?? null },
        changes: found
          ? [
              {
                kind: "property",
                side: "on-premises",
                cmdlet: "Set-AcceptedDomain",
                identity: found.name,
                parameter: "DomainType",
                value: "InternalRelay",
              },
            ]
          : [],
        substance: { domainType: found?.domainType ?? null },
      }),
    ];
  },
};

/**
 * On-premises, the hybrid wizard's remote domains: `{tenant}.mail.onmicrosoft.com`
 * with TargetDeliveryDomain (so replies and out-of-office to moved users are
 * internal), and `{tenant}.onmicrosoft.com` with TrustedMailInboundEnabled.
 */
export const hybridRemoteDomainMisconfigured: Rule = {
  id: "hybrid-remote-domain-misconfigured",
  needs: ["hybrid"],
  evaluate(o) {
    const remote = o.hybrid?.onPremises?.remoteDomains;
    const prefix = tenantPrefix(o);
    if (!remote || !prefix) return [];
    const expected = [
      { domain: `${prefix}.mail.onmicrosoft.com`, parameter: "TargetDeliveryDomain", set: (d: (typeof remote)[number]) => d.targetDeliveryDomain },
      {
        domain: `${prefix}.onmicrosoft.com`,
        parameter: "TrustedMailInboundEnabled",
        set: (d: (typeof remote)[number]) => d.trustedMailInboundEnabled,
      },
    ] as const;
    const out: Finding[] = [];
    for (const e of expected) {
      const found = remote.find((d) => d.domainName === e.domain);
      if (found && e.set(found)) continue;
      const changes: PropertyChange[] = found
        ? [{ kind: "property", side: "on-premises", cmdlet: "Set-RemoteDomain", identity: found.name, parameter: e.parameter, value: true }]
        : [];
      out.push(
        finding({
          rule: "hybrid-remote-domain-misconfigured",
          severity: "warning",
          subject: { kind: "remote-domain", name: e.domain },
          summary: found
            ? `On-premises, the remote domain ${found.name} (${e.domain}) does not have ${e.parameter} set, as the hybrid wizard sets it.`
            : `On-premises, there is no remote domain for ${e.domain}, which the hybrid wizard creates with ${e.parameter} $true ` +
              `(add it with New-RemoteDomain, then Set-RemoteDomain -${e.parameter} $true).`,
          impact:
            "Mail between the sides is treated as external: out-of-office replies go as the external ones, voting buttons and meeting " +
            "(room) responses fail, and the sender's display name and hybrid headers are lost.",
          evidence: { domain: e.domain, remoteDomain: found?.name ?? null, [e.parameter]: found ? e.set(found) : null },
          changes,
          substance: { parameter: e.parameter, present: found !== undefined },
        }),
      );
    }
    return out;
  },
};
