import { type Finding, finding } from "../core/finding.js";
import type { Rule } from "../core/rule.js";
import { certificateMatchesDomain } from "../hybrid/host-names.js";
import type { CertificateState } from "../hybrid/hybrid-state.js";
import { receivingCertificates, sendingCertificates } from "../hybrid/presented.js";

/** The name to set on the Exchange Online side: the certificate's subject CN when it is one of its names, else its first name. */
function nameFor(c: CertificateState): string | undefined {
  const cn = /(?:^|,\s*)CN=([^,]+)/i.exec(c.subject)?.[1]?.trim().toLowerCase();
  return cn && c.names.includes(cn) ? cn : c.names[0];
}

function describe(certs: readonly CertificateState[]): string {
  return certs.map((c) => `${c.subject} (${c.names.join(", ") || "no names"})`).join("; ");
}

/**
 * Exchange Online's inbound connector from on-premises checks the
 * certificate the on-premises send connector presents against its
 * TlsSenderCertificateName (subject or a SAN; `*.contoso.com` allowed). When
 * none of the presented certificates matches, hybrid mail arrives as
 * Anonymous or is refused. The fix sets the name the certificate has, as the
 * wizard does (`New-InboundConnector … -TLSSenderCertificateName
 * 'mail.contoso.ca'` in a real wizard log, SammyKrosoft/Hybrid-Config-Wiz-Checks).
 */
export const tlsSenderNameMismatch: Rule = {
  id: "tls-sender-name-mismatch",
  needs: ["hybrid"],
  parts: ["exchangeOnline.inboundConnectors", "onPremises.exchangeCertificates"],
  evaluate(o) {
    const online = o.hybrid?.exchangeOnline?.inboundConnectors;
    if (!o.hybrid?.onPremises || !online) return [];
    const presented = sendingCertificates(o.hybrid);
    if (presented.length === 0) return [];
    const out: Finding[] = [];
    for (const c of online) {
      if (!c.enabled || c.connectorType !== "OnPremises" || !c.tlsSenderCertificateName) continue;
      const expected = c.tlsSenderCertificateName;
      if (presented.some((cert) => certificateMatchesDomain(cert, expected))) continue;
      const name = nameFor(presented[0]!);
      out.push(
        finding({
          rule: "tls-sender-name-mismatch",
          severity: "error",
          subject: { kind: "inbound-connector", name: c.name },
          summary:
            `Exchange Online's inbound connector ${c.name} expects a certificate for ${expected}; ` +
            `on-premises sends with ${describe(presented)}.`,
          impact:
            "Exchange Online does not recognise mail from on-premises as the organisation's own: it arrives Anonymous (no hybrid headers, " +
            "spam-filtered, free/busy and out-of-office as external) or is refused when the connector requires the certificate.",
          evidence: { tlsSenderCertificateName: expected, presented: presented.map((p) => ({ thumbprint: p.thumbprint, names: p.names })) },
          changes: name
            ? [
                {
                  kind: "property",
                  side: "exchange-online",
                  cmdlet: "Set-InboundConnector",
                  identity: c.name,
                  parameter: "TlsSenderCertificateName",
                  value: name,
                },
              ]
            : [],
          substance: { expected, presented: presented.map((p) => p.thumbprint).sort() },
        }),
      );
    }
    return out;
  },
};

/**
 * Exchange Online's outbound connector to on-premises, with TlsSettings
 * DomainValidation, checks the on-premises server's certificate against its
 * TlsDomain. When no certificate on-premises presents for cloud mail has that
 * name, Exchange Online refuses the TLS session and mail to on-premises queues.
 * The wizard sets DomainValidation with the certificate's name
 * (`New-OutboundConnector … -TLSSettings DomainValidation -TLSDomain
 * 'mail.contoso.ca'`, the same log).
 */
export const tlsDomainMismatch: Rule = {
  id: "tls-domain-mismatch",
  needs: ["hybrid"],
  parts: ["exchangeOnline.outboundConnectors", "onPremises.exchangeCertificates"],
  evaluate(o) {
    const online = o.hybrid?.exchangeOnline?.outboundConnectors;
    if (!o.hybrid?.onPremises || !online) return [];
    const presented = receivingCertificates(o.hybrid);
    if (presented.length === 0) return [];
    const out: Finding[] = [];
    for (const c of online) {
      if (!c.enabled || c.connectorType !== "OnPremises" || c.tlsSettings !== "DomainValidation" || !c.tlsDomain) continue;
      const domain = c.tlsDomain;
      if (presented.some((cert) => certificateMatchesDomain(cert, domain))) continue;
      const name = nameFor(presented[0]!);
      out.push(
        finding({
          rule: "tls-domain-mismatch",
          severity: "error",
          subject: { kind: "outbound-connector", name: c.name },
          summary: `Exchange Online's outbound connector ${c.name} validates TLS against ${domain}; on-premises presents ${describe(presented)}.`,
          impact:
            "Exchange Online refuses the on-premises server's certificate (DomainValidation): mail from the cloud to on-premises mailboxes " +
            "queues in Exchange Online and is returned after its retry interval.",
          evidence: {
            tlsDomain: domain,
            tlsSettings: c.tlsSettings,
            presented: presented.map((p) => ({ thumbprint: p.thumbprint, names: p.names })),
          },
          changes: name
            ? [{ kind: "property", side: "exchange-online", cmdlet: "Set-OutboundConnector", identity: c.name, parameter: "TlsDomain", value: name }]
            : [],
          substance: { domain, presented: presented.map((p) => p.thumbprint).sort() },
        }),
      );
    }
    return out;
  },
};
