import { type Finding, finding } from "../core/finding.js";
import type { Observations } from "../core/observations.js";
import type { Rule } from "../core/rule.js";
import type { ProbeResult } from "../probe/probe-result.js";

/**
 * What the STARTTLS probes saw on the wire, the check's own and those
 * uploaded with the state document. A probe that could not connect
 * (`failedAt: "connect"`, e.g. port 25 blocked where it ran) says nothing
 * about the server and gives no finding.
 */
export function reached(o: Observations): ProbeResult[] {
  return (o.probes?.results ?? []).filter((p) => p.failedAt !== "connect");
}

function subjectOf(p: ProbeResult) {
  return { kind: "smtp-host", name: `${p.host}:${p.port}` };
}

/** The first masked lines, or the banner when EHLO was refused. */
function masked(p: ProbeResult): string {
  return p.ehlo.slice(1, 4).join(", ") || p.banner;
}

function probeEvidence(p: ProbeResult) {
  return { banner: p.banner, ehlo: p.ehlo.slice(0, 20), tlsVersion: p.tlsVersion ?? null, error: p.error ?? null };
}

/** The server answers EHLO without offering STARTTLS, and nothing on the way masked it. */
export const starttlsMissing: Rule = {
  id: "starttls-missing",
  needs: ["probes"],
  evaluate(o) {
    return reached(o)
      .filter((p) => p.ehlo.length > 0 && !p.starttls && !p.ehloMasked)
      .map((p) =>
        finding({
          rule: "starttls-missing",
          severity: "error",
          subject: subjectOf(p),
          summary: `${p.host}:${p.port} answers EHLO without offering STARTTLS.`,
          impact:
            'Exchange Online\'s connectors to on-premises require TLS: its mail queues with "451 5.7.3 STARTTLS is required". On ' +
            "Exchange this is what a TlsCertificateName that names no current certificate does (KB2989382, event 12014).",
          evidence: probeEvidence(p),
          substance: { starttls: false },
        }),
      );
  },
};

/** The banner or EHLO is masked (`250-XXXXXXXA`): a firewall's SMTP inspection stands between EOP and Exchange. */
export const starttlsInspected: Rule = {
  id: "starttls-inspected",
  needs: ["probes"],
  evaluate(o) {
    return reached(o)
      .filter((p) => p.ehloMasked)
      .map((p) =>
        finding({
          rule: "starttls-inspected",
          severity: "error",
          subject: subjectOf(p),
          summary: `${p.host}:${p.port} answers with a masked banner or EHLO (${masked(p)}): a firewall inspects SMTP.`,
          impact:
            'An inspecting firewall (Cisco PIX/ASA SMTP or ESMTP inspection, "fixup smtp") hides STARTTLS and the Exchange extensions: ' +
            "mail between the sides goes without TLS or fails. Microsoft's guidance for Cisco PIX/ASA is to turn SMTP inspection off " +
            "for the Exchange hosts (`no fixup protocol smtp 25`, or `no inspect esmtp` in the policy map).",
          evidence: probeEvidence(p),
          substance: { masked: true },
        }),
      );
  },
};

/** The server cannot negotiate TLS 1.2 or later, which Exchange Online requires. */
export const tlsVersionOutdated: Rule = {
  id: "tls-version-outdated",
  needs: ["probes"],
  evaluate(o) {
    const out: Finding[] = [];
    for (const p of reached(o)) {
      if (p.tls12OrLater !== false) continue;
      out.push(
        finding({
          rule: "tls-version-outdated",
          severity: "error",
          subject: subjectOf(p),
          summary: `${p.host}:${p.port} negotiates ${p.tlsVersion ?? "an old TLS version"} and refuses TLS 1.2 or later.`,
          impact:
            "Exchange Online accepts TLS 1.2 or later only: the TLS session fails and mail between the sides queues or goes without " +
            "encryption. Enable TLS 1.2 on the server (Exchange's TLS guidance: SCHANNEL and .NET settings) and restart it.",
          evidence: probeEvidence(p),
          substance: { tlsVersion: p.tlsVersion ?? null },
        }),
      );
    }
    return out;
  },
};
