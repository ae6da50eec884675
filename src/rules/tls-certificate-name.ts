import { type Finding, finding, type PropertyChange } from "../core/finding.js";
import type { Rule } from "../core/rule.js";
import { rememberCertificates } from "../hybrid/certificate-memory.js";
import { formatTlsCertificateName } from "../hybrid/certificate-name.js";
import type { CertificateState } from "../hybrid/hybrid-state.js";
import { isCloudEnabled } from "../hybrid/presented.js";
import {
  type CertificateReference,
  certificatesNamed,
  isCurrent,
  judgedReferences,
  mayServeSmtp,
  namedCertificatesUnknown,
  referencesWithoutCertificates,
  renewalFor,
  serverCertificates,
  serverKey,
  smtpCertificates,
} from "../hybrid/references.js";

const RENEWAL_SHOWN_MS = 7 * 24 * 3600_000;

/** Whether one server has several distinct certificates that answer the name (certificates of no known server count as one server's). */
function ambiguousOnOneServer(found: readonly CertificateState[]): boolean {
  const byServer = new Map<string, Set<string>>();
  for (const c of found) {
    const server = c.server === undefined ? "" : serverKey(c.server);
    byServer.set(server, (byServer.get(server) ?? new Set()).add(c.thumbprint));
  }
  return [...byServer.values()].some((thumbprints) => thumbprints.size > 1);
}

function subjectOf(ref: CertificateReference) {
  return { kind: ref.kind, name: ref.identity };
}

function where(ref: CertificateReference): string {
  return ref.kind === "hybrid-configuration"
    ? "The hybrid configuration"
    : `${ref.kind === "send-connector" ? "Send" : "Receive"} connector ${ref.identity}`;
}

/**
 * A connector's (or the hybrid configuration's) TlsCertificateName names an
 * issuer and subject that no current certificate with the SMTP service has
 * — the state after a renewal by another CA or with another subject — or
 * that several have, or that a certificate has that is not enabled for SMTP.
 * Names are looked up among all the server's certificates, as Exchange and
 * HealthChecker do; a certificate whose services the document does not say
 * counts as one that may serve SMTP. The fix names the newest certificate with the same
 * subject, exactly as Exchange writes it; without one nothing is proposed,
 * since another subject may not be what the other side expects.
 */
export const tlsCertificateNameMismatch: Rule = {
  id: "tls-certificate-name-mismatch",
  needs: ["hybrid"],
  parts: ["onPremises.exchangeCertificates"],
  cannotJudge: (o) => (o.hybrid ? namedCertificatesUnknown(o.hybrid) : undefined),
  partlyJudged: (o) => (o.hybrid ? referencesWithoutCertificates(o.hybrid).reason : undefined),
  evaluate(o) {
    if (!o.hybrid) return [];
    const out: Finding[] = [];
    for (const ref of judgedReferences(o.hybrid)) {
      const candidates = smtpCertificates(o.hybrid, ref.servers);
      const installed = certificatesNamed(ref.name, serverCertificates(o.hybrid, ref.servers));
      const usable = installed.filter(mayServeSmtp);
      // Exchange finds only valid certificates by a name; an expired one is certificate-expired's to tell, one not yet valid is none.
      const found = usable.filter((c) => isCurrent(c, o.at));
      if (found.length === 0 && usable.some((c) => Date.parse(c.notAfter) <= o.at.getTime())) continue;
      // The same certificate on several servers is one certificate; each server choosing among its own is what is ambiguous.
      const named = [...new Map(found.map((c) => [c.thumbprint, c])).values()];
      const text = formatTlsCertificateName(ref.name);
      if (named.length > 0 && !ambiguousOnOneServer(found)) continue;
      if (usable.length === 0 && installed.length > 0) {
        const thumbprints = [...new Set(installed.map((c) => c.thumbprint))];
        out.push(
          finding({
            rule: "tls-certificate-name-mismatch",
            severity: "error",
            subject: subjectOf(ref),
            summary:
              `${where(ref)} names ${text}, which is installed (${thumbprints.join(", ")}) but not enabled for SMTP ` +
              `(Enable-ExchangeCertificate -Thumbprint ${thumbprints[0]} -Services SMTP).`,
            impact:
              "The transport service cannot read the certificate's private key unless it is enabled for SMTP: TLS with that certificate fails, " +
              "and Exchange Online's mail queues or arrives Anonymous.",
            evidence: { tlsCertificateName: text, installed: thumbprints, servers: ref.servers },
            substance: { name: ref.name, notSmtp: thumbprints.sort() },
          }),
        );
        continue;
      }
      if (named.length > 1) {
        out.push(
          finding({
            rule: "tls-certificate-name-mismatch",
            severity: "warning",
            subject: subjectOf(ref),
            summary: `${where(ref)} names ${text}, which ${named.length} valid certificates on one server have (${named.map((c) => c.thumbprint).join(", ")}).`,
            impact:
              "Exchange picks one of them on each connection, and which one is not defined: once one of them expires or is removed, or if the " +
              "other side expects the other, TLS may stop. Remove the old certificate from the SMTP service (or the server) when the new one works.",
            evidence: {
              tlsCertificateName: text,
              certificates: named.map((c) => ({ thumbprint: c.thumbprint, notAfter: c.notAfter, server: c.server })),
            },
            substance: { name: ref.name, thumbprints: named.map((c) => c.thumbprint).sort() },
          }),
        );
        continue;
      }
      const renewed = renewalFor(ref.name, candidates, o.at);
      const changes: PropertyChange[] = renewed
        ? [
            {
              kind: "property",
              side: "on-premises",
              cmdlet: ref.cmdlet,
              identity: ref.identity,
              parameter: "TlsCertificateName",
              value: formatTlsCertificateName({ issuer: renewed.issuer, subject: renewed.subject }),
            },
          ]
        : [];
      out.push(
        finding({
          rule: "tls-certificate-name-mismatch",
          severity: "error",
          subject: subjectOf(ref),
          summary:
            `${where(ref)} names ${text}, which no current certificate with the SMTP service has` +
            (renewed ? `; the certificate with that subject now is issued by ${renewed.issuer} (${renewed.thumbprint}).` : "."),
          impact:
            ref.kind === "send-connector"
              ? 'Exchange cannot present the certificate to Exchange Online: mail to the cloud queues with 454 4.7.5 ("The certificate ' +
                'specified in the TlsCertificateName of the send connector could not be found") or goes without the hybrid headers.'
              : "Exchange no longer offers STARTTLS with that certificate (KB2989382: event 12014): Exchange Online's mail queues with " +
                '"451 5.7.3 STARTTLS is required" or arrives Anonymous.',
          evidence: { tlsCertificateName: text, servers: ref.servers, renewedBy: renewed?.thumbprint },
          changes,
          substance: { name: ref.name },
        }),
      );
    }
    return out;
  },
};

/**
 * The certificate behind a connector changed since the last run (a
 * renewal): everything that names it, on both sides, needs checking. It
 * stays for a week after the change was seen, then goes as resolved.
 */
export const certificateRenewed: Rule = {
  id: "certificate-renewed",
  needs: ["hybrid"],
  parts: ["onPremises.exchangeCertificates"],
  cannotJudge: (o) => (o.hybrid ? namedCertificatesUnknown(o.hybrid) : undefined),
  partlyJudged: (o) => (o.hybrid ? referencesWithoutCertificates(o.hybrid).reason : undefined),
  evaluate(o) {
    if (!o.hybrid) return [];
    const memory = rememberCertificates(o.certificateHistory, o.hybrid, o.at);
    const out: Finding[] = [];
    for (const ref of judgedReferences(o.hybrid)) {
      const m = memory[ref.key];
      if (!m?.changedAt || o.at.getTime() - Date.parse(m.changedAt) > RENEWAL_SHOWN_MS) continue;
      out.push(
        finding({
          rule: "certificate-renewed",
          severity: "info",
          subject: subjectOf(ref),
          summary:
            `The certificate behind ${where(ref).charAt(0).toLowerCase()}${where(ref).slice(1)} changed on ${m.changedAt.slice(0, 10)}: ` +
            `${(m.previous ?? []).join(", ")} → ${m.thumbprints.join(", ")}.`,
          impact:
            "A renewed certificate must be named again wherever the old one was: the on-premises connectors and hybrid configuration " +
            "(TlsCertificateName), and Exchange Online's inbound connector (TlsSenderCertificateName) and outbound connector (TlsDomain) " +
            "if its names changed. This report's other findings say which of them no longer match.",
          evidence: { previous: m.previous ?? [], current: m.thumbprints, changedAt: m.changedAt },
          substance: { previous: m.previous ?? [], current: m.thumbprints },
        }),
      );
    }
    return out;
  },
};

/**
 * A receive connector that takes cloud services mail (a cloud-mail TLS
 * domain capability) names no certificate: TlsCertificateName is empty.
 * Exchange then picks one by the connector's FQDN (the newest valid one that
 * matches), which changes with every renewal and may not be the one Exchange
 * Online's outbound connector validates. The hybrid wizard always sets the
 * name, and HealthChecker warns on its absence for cloud-enabled receive
 * connectors (TlsCertificateNameEmpty;
 * Diagnostics/HealthChecker/Analyzer/Invoke-AnalyzerHybridInformation.ps1).
 * Send connectors are send-connector-to-cloud-misconfigured's. Nothing is
 * proposed: which certificate is meant is the admin's call.
 */
export const tlsCertificateNameMissing: Rule = {
  id: "tls-certificate-name-missing",
  needs: ["hybrid"],
  parts: ["onPremises.receiveConnectors"],
  evaluate(o) {
    return (o.hybrid?.onPremises?.receiveConnectors ?? [])
      .filter((c) => c.enabled && !c.tlsCertificateName && isCloudEnabled(c) && c.transportRole !== "HubTransport")
      .map((c) =>
        finding({
          rule: "tls-certificate-name-missing",
          severity: "warning",
          subject: { kind: "receive-connector", name: c.identity },
          summary: `Receive connector ${c.identity} takes cloud services mail but names no certificate (TlsCertificateName is empty).`,
          impact:
            "Exchange picks a certificate by the connector's FQDN, the newest that matches: a renewal or a new certificate can change what " +
            "Exchange Online is shown, and its outbound connector checks that certificate's names. Set TlsCertificateName to the " +
            "certificate meant for hybrid mail (the Hybrid Configuration Wizard does).",
          evidence: { connector: c.identity, tlsDomainCapabilities: c.tlsDomainCapabilities },
          substance: { connector: c.identity.toLowerCase() },
        }),
      );
  },
};
