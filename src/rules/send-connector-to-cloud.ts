import { finding } from "../core/finding.js";
import type { Rule } from "../core/rule.js";
import type { SendConnectorState } from "../hybrid/hybrid-state.js";
import { EOP_TLS_DOMAIN } from "../hybrid/presented.js";
import { normaliseName } from "../hybrid/x500-name.js";

/** EOP's smart hosts, `{tenant}.mail.protection.outlook.com` and the sovereign clouds' equivalents. */
const EOP_HOST = /\.mail\.protection\.(?:outlook\.com|outlook\.de|partner\.outlook\.cn|office365\.us)$/;
const ROUTING_DOMAIN = /(?:^|\.)mail\.onmicrosoft\.(?:com|de|us)$|\.mail\.partner\.onmschina\.cn$/;
/** The TLS domains Exchange Online presents, as HealthChecker's service-domain pattern takes them. */
const SERVICE_DOMAIN = /^(?:mail\.protection\.(?:outlook\.com|outlook\.de|office365\.us)|mail\.protection\.partner\.outlook\.cn|outlook\.com)$/;

/** A send connector that delivers to Exchange Online: to EOP's smart hosts, or by DNS to the routing domain (HealthChecker's test). */
function toExchangeOnline(c: SendConnectorState): boolean {
  return c.smartHosts.some((h) => EOP_HOST.test(h)) || (c.smartHosts.length === 0 && c.addressSpaces.some((a) => ROUTING_DOMAIN.test(a)));
}

/**
 * An on-premises send connector that delivers to Exchange Online is not set
 * up to send the organisation's mail as its own, by the same tests as
 * HealthChecker's "EXO Connector" checks (https://aka.ms/HC-ExoConnectorIssue):
 * not enabled for cloud services mail; neither an FQDN nor a certificate name
 * (the server's own, possibly internal, FQDN then picks the certificate);
 * TLS without certificate validation; or domain validation against another
 * domain than Exchange Online's. Beyond HealthChecker, a self-signed
 * certificate (issuer and subject alike) on a connector enabled for cloud
 * services mail: Exchange Online takes the organisation's mail as its own
 * only with a certificate from a public CA (hybrid deployment prerequisites). Nothing is proposed: turning on
 * CloudServicesMailEnabled or validation before Exchange Online's inbound
 * connector expects this certificate would stop mail that flows today.
 */
export const sendConnectorToCloudMisconfigured: Rule = {
  id: "send-connector-to-cloud-misconfigured",
  needs: ["hybrid"],
  parts: ["onPremises.sendConnectors"],
  evaluate(o) {
    return (o.hybrid?.onPremises?.sendConnectors ?? [])
      .filter((c) => c.enabled && toExchangeOnline(c))
      .flatMap((c) => {
        const problems: string[] = [];
        if (!c.cloudServicesMailEnabled) problems.push("it is not enabled for cloud services mail (CloudServicesMailEnabled)");
        if (!c.fqdn && !c.tlsCertificateName) {
          problems.push("it has neither an FQDN nor a TlsCertificateName, so the server's own FQDN picks the certificate");
        }
        if (c.tlsAuthLevel !== "DomainValidation" && c.tlsAuthLevel !== "CertificateValidation") {
          problems.push(`its TlsAuthLevel is ${c.tlsAuthLevel ?? "not set"}, not CertificateValidation or DomainValidation`);
        }
        if (c.tlsAuthLevel === "DomainValidation" && !SERVICE_DOMAIN.test(c.tlsDomain ?? "")) {
          problems.push(`it validates TLS against ${c.tlsDomain ?? "no TlsDomain"}, not ${EOP_TLS_DOMAIN}`);
        }
        const name = c.tlsCertificateName;
        if (c.cloudServicesMailEnabled && name && normaliseName(name.issuer) === normaliseName(name.subject)) {
          problems.push(`the certificate it names (${name.subject}) is self-signed, which Exchange Online does not accept as the organisation's`);
        }
        if (problems.length === 0) return [];
        return [
          finding({
            rule: "send-connector-to-cloud-misconfigured",
            severity: "warning",
            subject: { kind: "send-connector", name: c.identity },
            summary: `Send connector ${c.identity} delivers to Exchange Online, but ${problems.join("; ")}.`,
            impact:
              "Exchange Online cannot recognise the mail as the organisation's own unless the connector presents the certificate its " +
              "inbound connector expects and is enabled for cloud services mail: mail arrives Anonymous (spam-filtered, no hybrid headers), " +
              "or goes unencrypted or to a host whose certificate was never checked.",
            evidence: {
              smartHosts: c.smartHosts,
              addressSpaces: c.addressSpaces,
              cloudServicesMailEnabled: c.cloudServicesMailEnabled,
              fqdn: c.fqdn ?? null,
              tlsCertificateName: c.tlsCertificateName ?? null,
              tlsAuthLevel: c.tlsAuthLevel ?? null,
              tlsDomain: c.tlsDomain ?? null,
            },
            substance: problems,
          }),
        ];
      });
  },
};
