import { type Finding, finding } from "../core/finding.js";
import { DEFAULT_CERTIFICATE_DAYS, type Observations } from "../core/observations.js";
import type { Rule } from "../core/rule.js";
import { daysLeft } from "../hybrid/certificate.js";
import type { CertificateState } from "../hybrid/hybrid-state.js";
import {
  certificatesNamed,
  isCurrent,
  judgedReferences,
  namedCertificatesUnknown,
  referencesWithoutCertificates,
  serverCertificates,
} from "../hybrid/references.js";

/** Days before expiry from which an expiring certificate is an error. */
const URGENT_DAYS = 7;

interface NamedCertificate {
  certificate: CertificateState;
  servers: string[];
  namedBy: string[];
  /** Every reference that names it also finds a valid certificate: the one Exchange uses; this one is a leftover. */
  replaced: boolean;
}

/** Each certificate a connector or the hybrid configuration names, once, with who names it and the servers it is on. */
function namedCertificates(o: Observations): NamedCertificate[] {
  const byThumbprint = new Map<string, { certificate: CertificateState; servers: Set<string>; namedBy: Set<string>; replaced: boolean }>();
  if (!o.hybrid) return [];
  for (const ref of judgedReferences(o.hybrid)) {
    const named = certificatesNamed(ref.name, serverCertificates(o.hybrid, ref.servers));
    const valid = named.some((c) => isCurrent(c, o.at));
    for (const c of named) {
      const entry = byThumbprint.get(c.thumbprint) ?? { certificate: c, servers: new Set<string>(), namedBy: new Set<string>(), replaced: true };
      if (c.server) entry.servers.add(c.server);
      entry.namedBy.add(`${ref.kind.replace("-", " ")} ${ref.identity}`);
      entry.replaced &&= valid;
      byThumbprint.set(c.thumbprint, entry);
    }
  }
  return [...byThumbprint.values()].map((e) => ({ ...e, servers: [...e.servers].sort(), namedBy: [...e.namedBy].sort() }));
}

/** `send connector X names` / `send connector X, hybrid configuration name`. */
function namers(namedBy: readonly string[]): string {
  return `${namedBy.join(", ")} name${namedBy.length === 1 ? "s" : ""}`;
}

function subjectOf(c: CertificateState) {
  return { kind: "certificate", name: `${c.subject} (${c.thumbprint})` };
}

function evidenceOf(c: CertificateState, servers: string[], namedBy: string[]) {
  return { thumbprint: c.thumbprint, subject: c.subject, issuer: c.issuer, notAfter: c.notAfter, names: c.names, servers, namedBy };
}

/**
 * A certificate that connectors name expires within the next 60, 30, 14 or 7
 * days (the tenant's thresholds). Each threshold crossed changes the
 * finding, so it alerts again at each one. In the last 7 days it is an
 * error, whichever thresholds the tenant chose.
 */
export const certificateExpiring: Rule = {
  id: "certificate-expiring",
  needs: ["hybrid"],
  parts: ["onPremises.exchangeCertificates"],
  cannotJudge: (o) => (o.hybrid ? namedCertificatesUnknown(o.hybrid) : undefined),
  partlyJudged: (o) => (o.hybrid ? referencesWithoutCertificates(o.hybrid).reason : undefined),
  evaluate(o) {
    const days = [...(o.certificateDays ?? DEFAULT_CERTIFICATE_DAYS)].sort((a, b) => a - b);
    const out: Finding[] = [];
    for (const { certificate: c, servers, namedBy } of namedCertificates(o)) {
      const left = daysLeft({ notAfter: new Date(c.notAfter) }, o.at);
      if (Date.parse(c.notAfter) <= o.at.getTime()) continue;
      const stage = days.find((d) => left <= d);
      if (stage === undefined) continue;
      // An error in the last week whatever the tenant's thresholds; reaching it is a stage too, so it alerts again.
      const urgent = left <= URGENT_DAYS;
      out.push(
        finding({
          rule: "certificate-expiring",
          severity: urgent ? "error" : "warning",
          subject: subjectOf(c),
          summary:
            `The certificate ${c.subject} (issued by ${c.issuer}) that ${namers(namedBy)} expires ${c.notAfter.slice(0, 10)}, ` +
            `in ${left} day${left === 1 ? "" : "s"}.`,
          impact:
            "When it expires, Exchange Online refuses the on-premises server's TLS: hybrid mail queues or arrives Anonymous. Renew it, enable " +
            "the new one for SMTP on every server, and set TlsCertificateName where this report shows it named.",
          evidence: { ...evidenceOf(c, servers, namedBy), daysLeft: left, threshold: stage },
          substance: { thumbprint: c.thumbprint, stage: urgent ? Math.min(stage, URGENT_DAYS) : stage },
        }),
      );
    }
    return out;
  },
};

/** A certificate that connectors name has expired. */
export const certificateExpired: Rule = {
  id: "certificate-expired",
  needs: ["hybrid"],
  parts: ["onPremises.exchangeCertificates"],
  cannotJudge: (o) => (o.hybrid ? namedCertificatesUnknown(o.hybrid) : undefined),
  partlyJudged: (o) => (o.hybrid ? referencesWithoutCertificates(o.hybrid).reason : undefined),
  evaluate(o) {
    return namedCertificates(o)
      .filter(({ certificate: c }) => Date.parse(c.notAfter) <= o.at.getTime())
      .map(({ certificate: c, servers, namedBy, replaced }) =>
        finding({
          rule: "certificate-expired",
          // Exchange finds only valid certificates by a name: with a valid one beside it, an expired one is a leftover.
          severity: replaced ? "info" : "error",
          subject: subjectOf(c),
          summary: replaced
            ? `The certificate ${c.subject} (issued by ${c.issuer}) that ${namers(namedBy)} expired ${c.notAfter.slice(0, 10)}; ` +
              "a valid certificate with the same issuer and subject is installed, and Exchange uses that one."
            : `The certificate ${c.subject} (issued by ${c.issuer}) that ${namers(namedBy)} expired ${c.notAfter.slice(0, 10)}.`,
          impact: replaced
            ? "Nothing stops today; the expired certificate only clutters the store. Remove it once the valid one is confirmed in use."
            : "Exchange Online does not accept TLS with an expired certificate: hybrid mail between the sides queues (451 4.4.395 or 454 4.7.5) or " +
              "arrives Anonymous. Renew it now and set TlsCertificateName where it is named.",
          evidence: { ...evidenceOf(c, servers, namedBy), replaced },
          substance: { thumbprint: c.thumbprint, replaced },
        }),
      );
  },
};
