import { type Finding, finding, type PropertyChange } from "../core/finding.js";
import type { Observations } from "../core/observations.js";
import type { Rule } from "../core/rule.js";
import { notHybrid } from "../hybrid/deployment.js";

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
 * On-premises, the routing domain `{tenant}.mail.onmicrosoft.com` as the
 * hybrid wizard leaves it: an accepted domain, which the wizard creates with
 * no type, so Authoritative (`New-AcceptedDomain -DomainName
 * 'contoso.mail.onmicrosoft.com' -Name …` in a real wizard log,
 * SammyKrosoft/Hybrid-Config-Wiz-Checks; the Exchange 2013 wizard's
 * RecipientTask adds it only when missing and never changes its type).
 * Authoritative is therefore the working state, and no finding. What is
 * judged:
 * - Missing: email address policies can use only authoritative or internal
 *   relay domains (learn.microsoft.com, Exchange Server: accepted domains;
 *   email address policies), so mailboxes get no `@…mail.onmicrosoft.com`
 *   address; new remote mailboxes lack their routing address and moves fail
 *   ("The target mailbox doesn't have an SMTP proxy matching
 *   '….mail.onmicrosoft.com'"). A warning; running the wizard again adds it.
 * - ExternalRelay: its recipients count as outside the organisation
 *   (mail flow rules' conditions, "outside the organization"), which is not
 *   what the wizard set up. A warning; nothing proposed, as the type was
 *   chosen by someone.
 * - InternalRelay where an Edge Transport server carries the hybrid mail:
 *   a subscribed Edge hands internal relay domains back inside through the
 *   EdgeSync connector, the loop Microsoft documents for a groups domain in
 *   that topology (Exchange hybrid: set up Microsoft 365 Groups). News
 *   (info), nothing proposed: it is inferred, not documented for this domain.
 * The seed's failure — the Exchange 2010 wizard in organisations that still
 * had Exchange 2003 servers, where only InternalRelay stops 2003's forward
 * loop (NDR 5.4.6) — needs Get-ExchangeServer to tell, which the document
 * does not carry; Exchange 2013 and later cannot coexist with 2003, so an
 * organisation with 2013+ servers never has it.
 */
export const routingDomainMisconfigured: Rule = {
  id: "routing-domain-misconfigured",
  needs: ["hybrid"],
  parts: ["onPremises.acceptedDomains"],
  cannotJudge: (o) => notHybrid(o.hybrid) ?? (tenantPrefix(o) ? undefined : "the tenant's routing domain is not known (the tenant is named by id)"),
  evaluate(o) {
    const domains = o.hybrid?.onPremises?.acceptedDomains ?? [];
    const routing = `${tenantPrefix(o)}.mail.onmicrosoft.com`;
    const found = domains.find((d) => d.domainName === routing);
    const edge = (o.hybrid?.onPremises?.hybridConfiguration?.edgeTransportServers.length ?? 0) > 0;
    const judged = !found
      ? {
          severity: "warning" as const,
          summary:
            `On-premises, the routing domain ${routing} is not an accepted domain; the hybrid wizard adds it ` +
            `(New-AcceptedDomain -DomainName ${routing} -Name ${routing}, or run the wizard again).`,
          impact:
            "Email address policies cannot give mailboxes their @" +
            `${routing} address: new remote mailboxes lack the routing address, and moves to Exchange Online fail with ` +
            '"The target mailbox doesn\'t have an SMTP proxy matching".',
        }
      : found.domainType === "ExternalRelay"
        ? {
            severity: "warning" as const,
            summary: `On-premises, the routing domain ${routing} is an ExternalRelay accepted domain; the hybrid wizard creates it Authoritative.`,
            impact:
              "Exchange treats recipients in an external relay domain as outside the organisation: mail to moved mailboxes is handled as " +
              "external (rules, journaling, out-of-office), and the wizard's routing no longer holds.",
          }
        : found.domainType === "InternalRelay" && edge
          ? {
              severity: "info" as const,
              summary:
                `On-premises, the routing domain ${routing} is InternalRelay, and an Edge Transport server carries the hybrid mail; ` +
                "the hybrid wizard creates it Authoritative.",
              impact:
                "A subscribed Edge server sends mail for internal relay domains back inside through the EdgeSync connector, which can loop " +
                "mail for moved mailboxes between the Edge and the Mailbox servers, as Microsoft documents for a groups domain in this topology.",
            }
          : undefined;
    if (!judged) return [];
    return [
      finding({
        rule: "routing-domain-misconfigured",
        ...judged,
        subject: { kind: "accepted-domain", name: routing },
        evidence: { routingDomain: routing, domainType: found?.domainType ?? null, edgeTransportServers: edge },
        substance: { domainType: found?.domainType ?? null, edge },
      }),
    ];
  },
};

/**
 * On-premises, the hybrid wizard's remote domains: `{tenant}.mail.onmicrosoft.com`
 * with TargetDeliveryDomain (so replies and out-of-office to moved users are
 * internal), and `{tenant}.onmicrosoft.com` with TrustedMailInboundEnabled,
 * as a real wizard log shows it create and set them (`New-RemoteDomain -Name
 * 'Hybrid Domain - contoso.onmicrosoft.com'`, `Set-RemoteDomain
 * -TrustedMailInboundEnabled: $true`; SammyKrosoft/Hybrid-Config-Wiz-Checks).
 */
export const hybridRemoteDomainMisconfigured: Rule = {
  id: "hybrid-remote-domain-misconfigured",
  needs: ["hybrid"],
  parts: ["onPremises.remoteDomains"],
  cannotJudge: (o) => notHybrid(o.hybrid) ?? (tenantPrefix(o) ? undefined : "the tenant's routing domain is not known (the tenant is named by id)"),
  evaluate(o) {
    const remote = o.hybrid?.onPremises?.remoteDomains ?? [];
    const prefix = tenantPrefix(o);
    if (!prefix) return [];
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
