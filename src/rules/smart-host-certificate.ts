import { type Finding, finding } from "../core/finding.js";
import type { Observations } from "../core/observations.js";
import type { Rule } from "../core/rule.js";
import { certificateMatchesDomain } from "../hybrid/host-names.js";
import { receivingCertificates } from "../hybrid/presented.js";
import { type RouteToOnPremises, routesToOnPremises } from "../hybrid/smart-hosts.js";
import type { ProbeCertificate, ProbeResult } from "../probe/probe-result.js";
import { reached } from "./starttls.js";

/** The hosts a route delivers to: its smart hosts' MX hosts or own names (as resolved), else the smart host names as given. */
function deliveryHosts(o: Observations, route: RouteToOnPremises): Set<string> {
  const resolved = new Map((o.dns?.smartHosts ?? []).map((r) => [r.name, r]));
  return new Set(route.smartHosts.flatMap((name) => resolved.get(name)?.hosts.map((h) => h.name) ?? [name]));
}

/** The DNS names a probed certificate answers to: its SANs, and the subject's CN as older validators also take it. */
function namesOf(cert: ProbeCertificate): string[] {
  const cn = /(?:^|, )CN=([^,]+)/.exec(cert.subject)?.[1];
  return [...cert.sans, ...(cn ? [cn] : [])].map((n) => n.toLowerCase());
}

/**
 * What a smart host really presents, against what the connector demands
 * (TlsDomain with DomainValidation, a publicly trusted chain with either
 * validation) and against the certificate on-premises names for mail from
 * the cloud: the check across both sides the configuration alone cannot give.
 */
export const smartHostCertificateMismatch: Rule = {
  id: "smart-host-certificate-mismatch",
  needs: ["probes", "hybrid"],
  evaluate(o) {
    const routes = routesToOnPremises(o.hybrid);
    const named = o.hybrid?.onPremises ? receivingCertificates(o.hybrid) : [];
    const out: Finding[] = [];
    for (const p of reached(o)) {
      const cert = p.certificate;
      if (!cert) continue;
      const via = routes.filter((r) => deliveryHosts(o, r).has(p.host.toLowerCase()));
      if (via.length === 0) continue;
      const problems = new Set<string>();
      for (const r of via) {
        const validates = r.tlsSettings === "DomainValidation" || r.tlsSettings === "CertificateValidation";
        if (r.tlsSettings === "DomainValidation" && r.tlsDomain && !certificateMatchesDomain({ names: namesOf(cert) }, r.tlsDomain)) {
          problems.add(`it does not match ${r.subject.name}'s TlsDomain ${r.tlsDomain}`);
        }
        if (validates && !cert.chainValid) {
          problems.add(`it is not publicly trusted (${cert.chainError ?? "the chain does not verify"}), and ${r.subject.name} validates it`);
        }
      }
      if (named.length > 0 && cert.thumbprint && !named.some((c) => c.thumbprint.toUpperCase() === cert.thumbprint)) {
        problems.add(`it is not the certificate on-premises names for mail from Exchange Online (${named.map((c) => c.thumbprint).join(", ")})`);
      }
      if (problems.size === 0) continue;
      out.push(
        mismatch(
          p,
          cert,
          via,
          [...problems],
          named.map((c) => c.thumbprint),
        ),
      );
    }
    return out;
  },
};

function mismatch(p: ProbeResult, cert: ProbeCertificate, via: RouteToOnPremises[], problems: string[], named: string[]): Finding {
  return finding({
    rule: "smart-host-certificate-mismatch",
    severity: "error",
    subject: { kind: "smtp-host", name: `${p.host}:${p.port}` },
    summary: `${p.host}:${p.port} presents ${cert.subject} (issued by ${cert.issuer}): ${problems.join("; ")}.`,
    impact:
      "Exchange Online validates the certificate when it delivers to on-premises: a mismatch fails the TLS session, and mail from the " +
      "cloud to on-premises mailboxes queues, then is returned. A certificate other than the one Exchange names also means a device in " +
      "front of Exchange (a load balancer or firewall) answers with its own, or a renewal was installed on one side only.",
    evidence: {
      connectors: via.map((r) => ({ name: r.subject.name, tlsSettings: r.tlsSettings ?? null, tlsDomain: r.tlsDomain ?? null })),
      presented: { subject: cert.subject, issuer: cert.issuer, sans: cert.sans, thumbprint: cert.thumbprint ?? null, chainValid: cert.chainValid },
      namedOnPremises: named,
    },
    substance: { problems: [...problems].sort(), thumbprint: cert.thumbprint ?? cert.fingerprintSha256 },
  });
}
