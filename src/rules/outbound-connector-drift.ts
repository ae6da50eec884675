import { type Finding, finding, type PropertyChange } from "../core/finding.js";
import type { Rule } from "../core/rule.js";
import { certificateMatchesDomain } from "../hybrid/host-names.js";
import { receivingCertificates } from "../hybrid/presented.js";
import { isCurrent, isSelfSigned } from "../hybrid/references.js";

/**
 * Exchange Online's outbound connector to on-premises no longer matches the
 * on-premises hybrid configuration: its smart hosts leave out
 * OnPremisesSmartHost, its recipient domains leave out one of the hybrid
 * domains, or its TLS is weaker than the wizard's DomainValidation. Fixes
 * add what is missing (smart hosts and domains are added, never replaced),
 * and DomainValidation is proposed only when the on-premises certificate has
 * the smart host's name, is current and is not self-signed, so the change
 * cannot stop mail that flows today.
 * What the wizard sets: `New-OutboundConnector -RecipientDomains 'Contoso.ca'
 * -SmartHosts 'mail.contoso.ca' -TLSSettings DomainValidation` with the hybrid
 * configuration's `-Domains` and `-OnPremisesSmartHost` (a real wizard log,
 * SammyKrosoft/Hybrid-Config-Wiz-Checks).
 */
export const outboundConnectorDrift: Rule = {
  id: "outbound-connector-drift",
  needs: ["hybrid"],
  parts: ["exchangeOnline.outboundConnectors", "onPremises.hybridConfiguration"],
  evaluate(o) {
    const hybrid = o.hybrid?.onPremises?.hybridConfiguration;
    const online = o.hybrid?.exchangeOnline?.outboundConnectors;
    if (!hybrid || !online || !o.hybrid) return [];
    const toOnPremises = online.filter((c) => c.enabled && c.connectorType === "OnPremises");
    const presented = receivingCertificates(o.hybrid);
    const out: Finding[] = [];
    for (const c of toOnPremises) {
      const problems: string[] = [];
      const changes: PropertyChange[] = [];
      const set = (parameter: string, value: string | string[]): PropertyChange => ({
        kind: "property",
        side: "exchange-online",
        cmdlet: "Set-OutboundConnector",
        identity: c.name,
        parameter,
        value,
      });
      const smartHost = hybrid.onPremisesSmartHost;
      if (smartHost && !c.useMXRecord && !c.smartHosts.includes(smartHost)) {
        problems.push(`its smart hosts (${c.smartHosts.join(", ") || "none"}) leave out the hybrid configuration's ${smartHost}`);
        changes.push(set("SmartHosts", [...c.smartHosts, smartHost]));
      }
      const missing = hybrid.domains.filter((d) => !c.recipientDomains.includes(d));
      if (missing.length > 0) {
        problems.push(`its recipient domains leave out ${missing.join(", ")}`);
        changes.push(set("RecipientDomains", [...c.recipientDomains, ...missing]));
      }
      if (c.tlsSettings !== "DomainValidation" && c.tlsSettings !== "CertificateValidation") {
        problems.push(`its TLS is ${c.tlsSettings ?? "not set"}, not the wizard's DomainValidation`);
        // Exchange Online validates the chain as well as the name: only a current certificate from a CA (not self-signed) passes.
        const passes = presented.some((cert) => certificateMatchesDomain(cert, smartHost ?? "") && isCurrent(cert, o.at) && !isSelfSigned(cert));
        // TlsDomain first: set alone it changes nothing, while DomainValidation without it would have no name to check.
        if (smartHost && passes) changes.push(set("TlsDomain", smartHost), set("TlsSettings", "DomainValidation"));
      }
      if (problems.length === 0) continue;
      out.push(
        finding({
          rule: "outbound-connector-drift",
          severity: missing.length > 0 || changes.some((ch) => ch.parameter === "SmartHosts") ? "error" : "warning",
          subject: { kind: "outbound-connector", name: c.name },
          summary: `Exchange Online's outbound connector ${c.name} no longer matches the hybrid configuration: ${problems.join("; ")}.`,
          impact:
            "Mail from Exchange Online to on-premises mailboxes takes another route or none: it goes to the MX (and may loop back to " +
            "the cloud), to a server that no longer exists, or without the certificate checks the hybrid relies on.",
          evidence: {
            smartHosts: c.smartHosts,
            recipientDomains: c.recipientDomains,
            tlsSettings: c.tlsSettings ?? null,
            onPremisesSmartHost: smartHost ?? null,
            hybridDomains: hybrid.domains,
          },
          changes,
          substance: problems,
        }),
      );
    }
    return out;
  },
};
