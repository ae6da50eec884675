/**
 * The hybrid rules on state documents read as a check reads them: the
 * contoso document (test/support/hybrid-documents.ts) through parseInventory,
 * changed one property at a time. The end-to-end renewal (certificate A → B
 * by another CA) is test/hybrid-renewal.test.ts; these are the other cases.
 */
import { describe, expect, it } from "vitest";
import { daysFrom, type MadeCertificate, makeCertificate } from "../../test/support/certificates.js";
import { EOP_WORLDWIDE } from "../../test/support/feed.js";
import { type ContosoState, contosoPki, contosoStateDocument, tlsName } from "../../test/support/hybrid-documents.js";
import { observations } from "../../test/support/observations.js";
import { powershellSyntaxProblems } from "../../test/support/powershell-grammar.js";
import { evaluate } from "../check/evaluate.js";
import type { Finding, PropertyChange } from "../core/finding.js";
import type { Observations } from "../core/observations.js";
import type { Rule } from "../core/rule.js";
import { type CertificateMemory, rememberCertificates } from "../hybrid/certificate-memory.js";
import { parseInventory } from "../inventory/parse.js";
import { certificateExpired, certificateExpiring } from "./certificate-expiry.js";
import { tlsDomainMismatch, tlsSenderNameMismatch } from "./exchange-online-tls.js";
import { hybridRemoteDomainMisconfigured, routingDomainMisconfigured } from "./hybrid-domains.js";
import { connectorOpenToInternet, hybridReceiveNotTrusted } from "./hybrid-receive.js";
import { outboundConnectorDrift } from "./outbound-connector-drift.js";
import { stateDocumentStale } from "./stale-evidence.js";
import { certificateRenewed, tlsCertificateNameMismatch } from "./tls-certificate-name.js";

/** The observations helper's check time: certificates are made relative to it. */
const AT = new Date("2026-11-22T06:00:00Z");
const DAY = 86_400_000;
const pki = contosoPki(AT);
const SANS = ["mail.contoso.com", "autodiscover.contoso.com"];
const certA = pki.leaf(pki.ca1, "mail.contoso.com", { from: -300, to: 200 }, SANS);
const certB = pki.leaf(pki.ca2, "mail.contoso.com", { from: 0, to: 365 }, SANS);

const SEND = "Outbound to Office 365 - 5c2e0d6a-1f3b-4e8a-9c7d-2b6f4a1e9d30";
const INBOUND = "Inbound from 5c2e0d6a-1f3b-4e8a-9c7d-2b6f4a1e9d30";
const OUTBOUND = "Outbound to 5c2e0d6a-1f3b-4e8a-9c7d-2b6f4a1e9d30";
const TENANT_ID = "8f3b1c2d-4e5f-4a6b-9c7d-0e1f2a3b4c5d";
const REFERENCES = [
  "hybrid-configuration Hybrid Configuration",
  "receive-connector EX01\\Default Frontend EX01",
  "receive-connector EX02\\Default Frontend EX02",
  `send-connector ${SEND}`,
];

type StateDocument = ReturnType<typeof contosoStateDocument>;
type Loose = Record<string, unknown>;

/** The contoso document of the check's day; both sides agree on certificate A unless told otherwise. */
function doc(over: Partial<ContosoState> = {}): StateDocument {
  return contosoStateDocument({ collectedAt: "2026-11-22T05:00:00Z", installed: [certA], named: certA, ...over });
}

/** The document read as a check reads it, against the whole EOP set (so its exact allowlist is in sync). */
function observe(document: unknown, extra: Partial<Observations> = {}): Observations {
  const inventory = parseInventory(document, { source: "state.json" });
  return { ...observations(inventory, { eopRanges: EOP_WORLDWIDE }), hybrid: inventory.hybrid, ...extra };
}

function run(rule: Rule, document: unknown, extra: Partial<Observations> = {}): Finding[] {
  const { findings, notChecked } = judge(rule, document, extra);
  expect(notChecked, `${rule.id} should judge this document`).toEqual([]);
  return findings;
}

/** The rule as a check runs it: only when the document has what it judges; otherwise not checked, with the reason. */
function judge(rule: Rule, document: unknown, extra: Partial<Observations> = {}) {
  const { check } = evaluate(observe(document, extra), { rules: [rule] });
  return { findings: check.findings, notChecked: check.report.evidence.hybrid?.notChecked ?? [] };
}

const refs = (findings: readonly Finding[]) => findings.map((f) => `${f.subject.kind} ${f.subject.name}`).sort();

/** A leaf with any subject, for names the contosoPki leaf cannot make (a CN that is no host name). */
function leafWithSubject(cn: string, sans: string[], issuer: MadeCertificate = pki.ca2): MadeCertificate {
  return makeCertificate({
    subject: [
      ["C", "US"],
      ["O", "Contoso Ltd"],
      ["CN", cn],
    ],
    issuer,
    sans,
    notBefore: daysFrom(AT, -1),
    notAfter: daysFrom(AT, 300),
  });
}

/**
 * Reads one PowerShell single-quoted literal as the tokenizer does: any of the
 * four single quotes opens and closes it, and two in a row stand for the second.
 */
function readPsLiteral(text: string, start: number): { value: string; end: number } {
  const quote = /['\u2018\u2019\u201a\u201b]/;
  if (!quote.test(text[start] ?? "")) throw new Error(`no literal at ${start}: ${text.slice(start, start + 40)}`);
  let value = "";
  for (let i = start + 1; i < text.length; i++) {
    if (quote.test(text[i]!)) {
      if (!quote.test(text[i + 1] ?? "")) return { value, end: i + 1 };
      value += text[++i];
    } else value += text[i];
  }
  throw new Error("unterminated literal");
}

const setLines = (script: string) => script.split("\r\n").filter((l) => /^Set-(?!StrictMode)/.test(l));

// ---- certificate-expiring / certificate-expired ----------------------------

describe("certificate-expiring and certificate-expired", () => {
  /** A document whose every reference names one certificate that expires `days` after AT. */
  const expiringIn = (days: number) => {
    const c = pki.leaf(pki.ca1, "mail.contoso.com", { from: -300, to: days }, SANS);
    return { cert: c, document: doc({ installed: [c], named: c }) };
  };

  it.each([
    [61, undefined],
    [60, 60],
    [45, 60],
    [30, 30],
    [20, 30],
    [14, 14],
    [8, 14],
    [7, 7],
    [1, 7],
  ])("a named certificate %i days from expiry is reported at the %s-day threshold", (days, threshold) => {
    const findings = run(certificateExpiring, expiringIn(days).document);
    if (threshold === undefined) {
      expect(findings).toEqual([]);
      return;
    }
    expect(findings).toHaveLength(1);
    expect(findings[0]!.evidence).toMatchObject({ daysLeft: days, threshold });
    // An error only in the last week: before that the admin has time to renew.
    expect(findings[0]!.severity).toBe(days <= 7 ? "error" : "warning");
  });

  it("is one finding per certificate, naming every reference and both servers, however many name it", () => {
    const { cert, document } = expiringIn(20);
    const [f, ...rest] = run(certificateExpiring, document);
    expect(rest).toEqual([]);
    expect(f!.subject).toEqual({ kind: "certificate", name: `CN=mail.contoso.com, O=Contoso Ltd, C=US (${cert.thumbprint})` });
    expect(f!.evidence).toMatchObject({
      thumbprint: cert.thumbprint,
      servers: ["EX01", "EX02"],
      namedBy: [
        "hybrid configuration Hybrid Configuration",
        "receive connector EX01\\Default Frontend EX01",
        "receive connector EX02\\Default Frontend EX02",
        `send connector ${SEND}`,
      ],
    });
    expect(f!.summary).toContain("in 20 days");
    expect(f!.changes ?? []).toEqual([]);
  });

  it("keeps its digest while the days count down within a threshold, and changes it at each threshold crossed", () => {
    // Expires 35 days after AT: 60-day stage until day 5, then 30, 14 and 7.
    const { document } = expiringIn(35);
    const at = (d: number) => run(certificateExpiring, document, { at: new Date(AT.getTime() + d * DAY) })[0]!;
    const stages = [0, 1, 4, 5, 20, 21, 27, 28, 34].map((d) => [d, at(d).evidence.threshold, at(d).digest] as const);
    expect(stages.map(([d, t]) => [d, t])).toEqual([
      [0, 60],
      [1, 60],
      [4, 60],
      [5, 30],
      [20, 30],
      [21, 14],
      [27, 14],
      [28, 7],
      [34, 7],
    ]);
    const digests = new Map(stages.map(([, t, digest]) => [t, digest]));
    for (const [, t, digest] of stages) expect(digest, `threshold ${t}`).toBe(digests.get(t));
    expect(new Set(digests.values()).size).toBe(4);
    // The id stays: it is the same problem, told again.
    expect(new Set([0, 5, 21, 28].map((d) => at(d).id)).size).toBe(1);
  });

  it("uses the tenant's thresholds from the observations instead of the defaults", () => {
    const { document } = expiringIn(80);
    expect(run(certificateExpiring, document)).toEqual([]);
    const [f] = run(certificateExpiring, document, { certificateDays: [90] });
    expect(f!.evidence).toMatchObject({ daysLeft: 80, threshold: 90 });
    expect(f!.severity).toBe("warning");
    // Thresholds in any order: the smallest one crossed is the stage.
    expect(run(certificateExpiring, expiringIn(25).document, { certificateDays: [10, 90, 45] })[0]!.evidence.threshold).toBe(45);
    expect(run(certificateExpiring, expiringIn(25).document, { certificateDays: [20] })).toEqual([]);
  });

  it("is an error in the last week also when the tenant's thresholds leave 7 out, and tells that escalation as a change", () => {
    // A tenant told at 30 days only must still see a certificate that expires in 5 days as an error.
    const week = run(certificateExpiring, expiringIn(5).document, { certificateDays: [30] })[0]!;
    const month = run(certificateExpiring, expiringIn(25).document, { certificateDays: [30] })[0]!;
    expect(week.severity).toBe("error");
    expect(month.severity).toBe("warning");
    expect(week.evidence).toMatchObject({ daysLeft: 5, threshold: 30 });
    // The same certificate, counted down from warning to error: the digest changes, so it alerts again.
    const { document } = expiringIn(10);
    const later = (d: number) => run(certificateExpiring, document, { certificateDays: [30], at: new Date(AT.getTime() + d * DAY) })[0]!;
    expect(later(0).severity).toBe("warning");
    expect(later(3).severity).toBe("error");
    expect(later(3).digest).not.toBe(later(0).digest);
    expect(later(4).digest).toBe(later(3).digest);
  });

  it("reports an expired named certificate as expired, not as expiring", () => {
    const { cert, document } = expiringIn(-2);
    expect(run(certificateExpiring, document)).toEqual([]);
    const [f, ...rest] = run(certificateExpired, document);
    expect(rest).toEqual([]);
    expect(f!.severity).toBe("error");
    expect(f!.evidence).toMatchObject({ thumbprint: cert.thumbprint, servers: ["EX01", "EX02"] });
    expect(f!.summary).toContain(`expired ${daysFrom(AT, -2).toISOString().slice(0, 10)}.`);
  });

  it("expires at its NotAfter: on the last day it is expiring in 0 days, from NotAfter on it is expired", () => {
    const { document } = expiringIn(3);
    const justBefore = { at: new Date(AT.getTime() + 3 * DAY - 3600_000) };
    const atNotAfter = { at: new Date(AT.getTime() + 3 * DAY) };
    expect(run(certificateExpiring, document, justBefore)[0]!.summary).toContain("in 0 days");
    expect(run(certificateExpired, document, justBefore)).toEqual([]);
    expect(run(certificateExpiring, document, atNotAfter)).toEqual([]);
    expect(run(certificateExpired, document, atNotAfter)).toHaveLength(1);
  });

  it("looks only at certificates a connector or the hybrid configuration names, not at the others installed", () => {
    // An old IIS-era certificate about to expire and an expired one, both installed with SMTP, named by nothing.
    const legacy = pki.leaf(pki.ca1, "legacy.contoso.com", { from: -700, to: 3 });
    const gone = pki.leaf(pki.ca1, "old.contoso.com", { from: -700, to: -10 });
    const document = doc({ installed: [certA, legacy, gone], named: certA });
    expect(run(certificateExpiring, document)).toEqual([]);
    expect(run(certificateExpired, document)).toEqual([]);
    // The named one, once it is the one expiring, is reported: the others still are not.
    const soon = pki.leaf(pki.ca1, "mail.contoso.com", { from: -300, to: 3 }, SANS);
    const named = run(certificateExpiring, doc({ installed: [soon, legacy, gone], named: soon }));
    expect(named.map((f) => f.evidence.thumbprint)).toEqual([soon.thumbprint]);
  });
});

// ---- tls-certificate-name-mismatch ----------------------------------------

describe("tls-certificate-name-mismatch", () => {
  it("finds nothing when each reference names one SMTP certificate, the same one installed on both servers", () => {
    // The hybrid configuration and send connector span EX01 and EX02: one thumbprint on two servers is one certificate.
    expect(run(tlsCertificateNameMismatch, doc())).toEqual([]);
  });

  it("proposes the newest certificate with the same subject, exactly as Exchange writes its issuer and subject", () => {
    // A is gone; the subject is on two certificates from other issuers, and the newest is the one to name.
    const older = pki.leaf(pki.root, "mail.contoso.com", { from: -100, to: 100 }, SANS);
    const newer = pki.leaf(pki.ca2, "mail.contoso.com", { from: -1, to: 400 }, SANS);
    for (const installed of [
      [older, newer],
      [newer, older],
    ]) {
      const findings = run(tlsCertificateNameMismatch, doc({ installed, named: certA }));
      expect(refs(findings)).toEqual(REFERENCES);
      for (const f of findings) {
        expect(f.severity).toBe("error");
        expect(f.evidence.renewedBy).toBe(newer.thumbprint);
        expect(f.changes).toEqual([expect.objectContaining({ side: "on-premises", parameter: "TlsCertificateName", value: tlsName(newer) })]);
      }
    }
    const later = pki.leaf(pki.root, "mail.contoso.com", { from: -1, to: 500 }, SANS);
    const [f] = run(tlsCertificateNameMismatch, doc({ installed: [newer, later], named: certA }));
    expect((f!.changes![0] as PropertyChange).value).toBe(tlsName(later));
  });

  it("names the cmdlet and identity of each reference in its change", () => {
    const findings = run(tlsCertificateNameMismatch, doc({ installed: [certB], named: certA }));
    expect(findings.map((f) => [(f.changes![0] as PropertyChange).cmdlet, (f.changes![0] as PropertyChange).identity]).sort()).toEqual([
      ["Set-HybridConfiguration", "Hybrid Configuration"],
      ["Set-ReceiveConnector", "EX01\\Default Frontend EX01"],
      ["Set-ReceiveConnector", "EX02\\Default Frontend EX02"],
      ["Set-SendConnector", SEND],
    ]);
  });

  it("proposes nothing when no certificate has the named subject: another name may not be what Exchange Online expects", () => {
    const renamed = pki.leaf(pki.ca2, "smtp.contoso.com", { from: 0, to: 365 });
    const findings = run(tlsCertificateNameMismatch, doc({ installed: [renamed], named: certA }));
    expect(refs(findings)).toEqual(REFERENCES);
    for (const f of findings) {
      expect(f.severity).toBe("error");
      expect(f.changes).toEqual([]);
      expect(f.evidence.renewedBy).toBeUndefined();
      expect(f.summary).toMatch(/no current certificate with the SMTP service has\.$/);
    }
  });

  it("warns, without a change, when two distinct SMTP certificates have the named issuer and subject", () => {
    const twin = pki.leaf(pki.ca1, "mail.contoso.com", { from: -10, to: 390 }, SANS);
    const findings = run(tlsCertificateNameMismatch, doc({ installed: [certA, twin], named: certA }));
    expect(refs(findings)).toEqual(REFERENCES);
    for (const f of findings) {
      expect(f.severity).toBe("warning");
      expect(f.changes ?? []).toEqual([]);
      expect(f.summary).toContain("which 2 valid certificates on one server have");
    }
    expect((findings[0]!.evidence.certificates as { thumbprint: string }[]).map((c) => c.thumbprint).sort()).toEqual(
      [certA.thumbprint, twin.thumbprint].sort(),
    );
  });

  it("takes each server's own certificate of the same name as no ambiguity", () => {
    const twin = pki.leaf(pki.ca1, "mail.contoso.com", { from: -10, to: 390 }, SANS);
    const own = doc({ installed: [certA, twin], named: certA });
    // EX01 keeps A, EX02 keeps its twin: each server has one certificate that answers the name.
    own.onPremises.exchangeCertificates = own.onPremises.exchangeCertificates.filter(
      (c) => (c.Server === "EX01") === (c.Thumbprint === certA.thumbprint),
    );
    expect(own.onPremises.exchangeCertificates).toHaveLength(2);
    expect(run(tlsCertificateNameMismatch, own)).toEqual([]);
  });

  it("proposes the renewal that is valid now and from a CA: never one not yet valid, nor a self-signed one beside it", () => {
    const subject: [string, string][] = [
      ["C", "US"],
      ["O", "Contoso Ltd"],
      ["CN", "mail.contoso.com"],
    ];
    const notYet = pki.leaf(pki.ca1, "mail.contoso.com", { from: 30, to: 800 }, SANS);
    const selfSigned = makeCertificate({ subject, sans: SANS, notBefore: daysFrom(AT, -1), notAfter: daysFrom(AT, 900) });
    const old = pki.leaf(pki.ca1, "mail.contoso.com", { from: -400, to: -5 }, SANS);
    const findings = run(tlsCertificateNameMismatch, doc({ installed: [certB, notYet, selfSigned], named: old }));
    expect(findings).toHaveLength(REFERENCES.length);
    for (const f of findings) expect((f.changes![0] as PropertyChange).value).toBe(tlsName(certB));
  });

  it("counts only certificates enabled for SMTP, and says when the named one is installed without it", () => {
    // The named certificate is installed but bound to IIS only: Exchange cannot use it for TLS on port 25.
    const iisOnly = doc();
    for (const c of iisOnly.onPremises.exchangeCertificates) c.Services = "IMAP, POP, IIS";
    const findings = run(tlsCertificateNameMismatch, iisOnly);
    expect(refs(findings)).toEqual(REFERENCES);
    expect(findings.every((f) => f.severity === "error" && (f.changes ?? []).length === 0)).toBe(true);
    expect(findings[0]!.summary).toContain(`which is installed (${certA.thumbprint}) but not enabled for SMTP`);
    expect(findings[0]!.summary).toContain(`Enable-ExchangeCertificate -Thumbprint ${certA.thumbprint} -Services SMTP`);

    // A twin with the same name but without SMTP does not make the name ambiguous.
    const twin = pki.leaf(pki.ca1, "mail.contoso.com", { from: -10, to: 390 }, SANS);
    const withTwin = doc({ installed: [certA, twin], named: certA });
    for (const c of withTwin.onPremises.exchangeCertificates) if (c.Thumbprint === twin.thumbprint) c.Services = "IIS";
    expect(run(tlsCertificateNameMismatch, withTwin)).toEqual([]);

    // And a renewal not yet enabled for SMTP is not proposed.
    const pending = doc({ installed: [certB], named: certA });
    for (const c of pending.onPremises.exchangeCertificates) c.Services = "IIS";
    expect(run(tlsCertificateNameMismatch, pending).every((f) => f.changes?.length === 0)).toBe(true);
  });
});

// ---- certificate-renewed ---------------------------------------------------

describe("certificate-renewed", () => {
  const today = doc({ installed: [certB], named: certB });

  it("says nothing on the first check, with no memory of what the references meant", () => {
    expect(run(certificateRenewed, today)).toEqual([]);
    expect(run(certificateRenewed, today, { certificateHistory: {} })).toEqual([]);
  });

  it("says nothing when the remembered certificate is the one named now", () => {
    const history: CertificateMemory = { "hybrid-configuration": { thumbprints: [certB.thumbprint] } };
    expect(run(certificateRenewed, today, { certificateHistory: history })).toEqual([]);
  });

  it("tells the change of the reference whose certificate changed, for a week after it was seen, then no more", () => {
    // Only the hybrid configuration was remembered with A; the other references are new to the memory, not renewed.
    const history: CertificateMemory = { "hybrid-configuration": { thumbprints: [certA.thumbprint] } };
    const first = observe(today, { certificateHistory: history });
    const [f, ...rest] = certificateRenewed.evaluate(first);
    expect(rest).toEqual([]);
    expect(f!.severity).toBe("info");
    expect(f!.subject).toEqual({ kind: "hybrid-configuration", name: "Hybrid Configuration" });
    expect(f!.evidence).toEqual({ previous: [certA.thumbprint], current: [certB.thumbprint], changedAt: AT.toISOString() });
    expect(f!.summary).toContain(`${certA.thumbprint} → ${certB.thumbprint}`);

    // The next checks carry the memory the first one left; the change stays dated when it was seen.
    const memory = rememberCertificates(history, first.hybrid!, first.at);
    expect(memory["hybrid-configuration"]).toEqual({ thumbprints: [certB.thumbprint], changedAt: AT.toISOString(), previous: [certA.thumbprint] });
    const later = (ms: number) => run(certificateRenewed, today, { certificateHistory: memory, at: new Date(AT.getTime() + ms) });
    expect(later(3 * DAY).map((x) => x.digest)).toEqual([f!.digest]);
    expect(later(7 * DAY)).toHaveLength(1);
    expect(later(7 * DAY + 1)).toEqual([]);
    expect(later(30 * DAY)).toEqual([]);
  });

  it("follows a reference whose name no longer finds a certificate to the renewal with its subject", () => {
    // The connectors still name A, B replaced it: the memory keys the renewal to B, as presented.ts does.
    const history: CertificateMemory = Object.fromEntries(
      [`send-connector|${SEND.toLowerCase()}`, "receive-connector|ex01\\default frontend ex01"].map((k) => [k, { thumbprints: [certA.thumbprint] }]),
    );
    const findings = run(certificateRenewed, doc({ installed: [certB], named: certA }), { certificateHistory: history });
    expect(refs(findings)).toEqual(["receive-connector EX01\\Default Frontend EX01", `send-connector ${SEND}`]);
    expect(findings.every((x) => (x.evidence.current as string[]).join() === certB.thumbprint)).toBe(true);
  });
});

// ---- tls-sender-name-mismatch / tls-domain-mismatch ------------------------

describe("tls-sender-name-mismatch", () => {
  it.each(["mail.contoso.com", "Mail.Contoso.com", "*.contoso.com", "autodiscover.contoso.com"])(
    "finds nothing when TlsSenderCertificateName %s matches the certificate on-premises sends with",
    (name) => {
      expect(run(tlsSenderNameMismatch, doc({ tlsSenderCertificateName: name }))).toEqual([]);
    },
  );

  it.each(["*.fabrikam.com", "legacy.contoso.com", "*.com", "contoso.com"])(
    "reports TlsSenderCertificateName %s, which the certificate does not answer, with the name it has as the fix",
    (name) => {
      const [f, ...rest] = run(tlsSenderNameMismatch, doc({ tlsSenderCertificateName: name }));
      expect(rest).toEqual([]);
      expect(f!.severity).toBe("error");
      expect(f!.subject).toEqual({ kind: "inbound-connector", name: INBOUND });
      expect(f!.changes).toEqual([
        {
          kind: "property",
          side: "exchange-online",
          cmdlet: "Set-InboundConnector",
          identity: INBOUND,
          parameter: "TlsSenderCertificateName",
          value: "mail.contoso.com",
        },
      ]);
    },
  );

  it("proposes the subject's CN when it is one of the certificate's names, else its first name", () => {
    // The CN is the name the certificate was bought for, even when a SAN is listed first.
    const cnListedSecond = pki.leaf(pki.ca2, "smtp.contoso.com", { from: 0, to: 365 }, ["autodiscover.contoso.com", "smtp.contoso.com"]);
    const valueFor = (c: MadeCertificate) =>
      (
        run(tlsSenderNameMismatch, doc({ installed: [c], named: c, tlsSenderCertificateName: "legacy.contoso.com" }))[0]!
          .changes![0] as PropertyChange
      ).value;
    expect(valueFor(cnListedSecond)).toBe("smtp.contoso.com");
    // A CN that is no host name (a gateway's display name) cannot be set: the first SAN is.
    expect(valueFor(leafWithSubject("Contoso Mail Gateway", ["relay.contoso.com", "mx.contoso.com"]))).toBe("relay.contoso.com");
  });

  it("ignores Partner connectors and disabled ones: EOP does not check them against on-premises' certificate", () => {
    const partner = doc({ tlsSenderCertificateName: "legacy.contoso.com" });
    partner.exchangeOnline.inboundConnectors[0]!.ConnectorType = "Partner";
    expect(run(tlsSenderNameMismatch, partner)).toEqual([]);
    const disabled = doc({ tlsSenderCertificateName: "legacy.contoso.com" });
    disabled.exchangeOnline.inboundConnectors[0]!.Enabled = false;
    expect(run(tlsSenderNameMismatch, disabled)).toEqual([]);
    // Beside them, an enabled on-premises connector with the wrong name is still reported.
    const both = doc({ tlsSenderCertificateName: "legacy.contoso.com" });
    both.exchangeOnline.inboundConnectors.push({ ...both.exchangeOnline.inboundConnectors[0]!, Name: "Partner fabrikam", ConnectorType: "Partner" });
    expect(refs(run(tlsSenderNameMismatch, both))).toEqual([`inbound-connector ${INBOUND}`]);
  });
});

describe("tls-domain-mismatch", () => {
  it("reports a DomainValidation TlsDomain the receiving certificate does not have, with the name it has", () => {
    const [f, ...rest] = run(tlsDomainMismatch, doc({ tlsDomain: "legacy.contoso.com" }));
    expect(rest).toEqual([]);
    expect(f!.subject).toEqual({ kind: "outbound-connector", name: OUTBOUND });
    expect(f!.changes).toEqual([
      {
        kind: "property",
        side: "exchange-online",
        cmdlet: "Set-OutboundConnector",
        identity: OUTBOUND,
        parameter: "TlsDomain",
        value: "mail.contoso.com",
      },
    ]);
    expect(run(tlsDomainMismatch, doc({ tlsDomain: "autodiscover.contoso.com" }))).toEqual([]);
  });

  it.each(["EncryptionOnly", "CertificateValidation"])("does not check TlsDomain under TlsSettings %s, which does not compare names", (settings) => {
    const document = doc({ tlsDomain: "legacy.contoso.com" });
    document.exchangeOnline.outboundConnectors[0]!.TlsSettings = settings;
    expect(run(tlsDomainMismatch, document)).toEqual([]);
  });

  it("reads TlsSettings given as the enum's number (4, DomainValidation)", () => {
    const document = doc({ tlsDomain: "legacy.contoso.com" });
    (document.exchangeOnline.outboundConnectors[0] as Loose).TlsSettings = 4;
    expect(run(tlsDomainMismatch, document)).toHaveLength(1);
  });
});

// ---- routing-domain-misconfigured / hybrid-remote-domain-misconfigured ------

describe("routing-domain-misconfigured", () => {
  it("finds nothing for the routing domain as the wizard creates it, Authoritative (by name or as 0), nor for InternalRelay", () => {
    expect(run(routingDomainMisconfigured, doc())).toEqual([]);
    const numeric = doc();
    (numeric.onPremises.acceptedDomains[1] as Loose).DomainType = 0;
    expect(run(routingDomainMisconfigured, numeric)).toEqual([]);
    expect(run(routingDomainMisconfigured, doc({ routingDomainType: "InternalRelay" }))).toEqual([]);
    (numeric.onPremises.acceptedDomains[1] as Loose).DomainType = 2;
    expect(run(routingDomainMisconfigured, numeric)).toEqual([]);
  });

  it("warns of a missing routing domain with the wizard's New-AcceptedDomain, and proposes no change", () => {
    const document = doc();
    document.onPremises.acceptedDomains.splice(1, 1);
    const [f, ...rest] = run(routingDomainMisconfigured, document);
    expect(rest).toEqual([]);
    expect(f!.severity).toBe("warning");
    expect(f!.summary).toContain("New-AcceptedDomain -DomainName contoso.mail.onmicrosoft.com -Name contoso.mail.onmicrosoft.com");
    expect(f!.summary).not.toContain("-DomainType");
    expect(f!.evidence.domainType).toBeNull();
    expect(f!.changes ?? []).toEqual([]);
  });

  it("warns of an ExternalRelay routing domain, proposing nothing", () => {
    const [f, ...rest] = run(routingDomainMisconfigured, doc({ routingDomainType: "ExternalRelay" }));
    expect(rest).toEqual([]);
    expect(f!.severity).toBe("warning");
    expect(f!.summary).toContain("is an ExternalRelay accepted domain; the hybrid wizard creates it Authoritative");
    expect(f!.changes ?? []).toEqual([]);
  });

  it("tells, as news, of an InternalRelay routing domain where an Edge server carries the hybrid mail", () => {
    const document = doc({ routingDomainType: "InternalRelay" });
    (document.onPremises.hybridConfiguration as Loose).EdgeTransportServers = ["EDGE01"];
    const [f, ...rest] = run(routingDomainMisconfigured, document);
    expect(rest).toEqual([]);
    expect(f!.severity).toBe("info");
    expect(f!.summary).toContain("an Edge Transport server carries the hybrid mail");
  });

  it("is not judged where the document shows no hybrid deployment, and says why", () => {
    const noHybrid = doc();
    noHybrid.onPremises.acceptedDomains.splice(1, 1);
    (noHybrid.onPremises as Loose).hybridConfiguration = null;
    for (const c of noHybrid.onPremises.sendConnectors) c.CloudServicesMailEnabled = false;
    for (const c of noHybrid.onPremises.receiveConnectors) c.TlsDomainCapabilities = [];
    (noHybrid as Loose).exchangeOnline = undefined;
    const { findings, notChecked } = judge(routingDomainMisconfigured, noHybrid);
    expect(findings).toEqual([]);
    expect(notChecked).toEqual([{ reason: "the organisation has no hybrid configuration", rules: ["routing-domain-misconfigured"] }]);

    // Without the hybrid configuration read at all, the document cannot tell.
    (noHybrid.onPremises as Loose).hybridConfiguration = undefined;
    expect(judge(routingDomainMisconfigured, noHybrid).notChecked[0]!.reason).toMatch(/does not show whether the organisation is hybrid/);
  });

  it("is not judged when the accepted domains were not collected, which is not their absence", () => {
    const document = doc();
    (document.onPremises as Loose).acceptedDomains = undefined;
    const { findings, notChecked } = judge(routingDomainMisconfigured, document);
    expect(findings).toEqual([]);
    expect(notChecked).toEqual([
      { reason: "the state document has no onPremises.acceptedDomains (Get-AcceptedDomain)", rules: ["routing-domain-misconfigured"] },
    ]);
  });

  it("takes the tenant's prefix from its *.mail.onmicrosoft.com domain when the tenant is given as its id", () => {
    const byId = (document: StateDocument) => ({ ...document, tenant: TENANT_ID });
    const [f] = run(routingDomainMisconfigured, byId(doc({ routingDomainType: "ExternalRelay" })));
    expect(f!.subject.name).toBe("contoso.mail.onmicrosoft.com");
    // With the accepted domain gone, the send connector's address space still names it.
    const missing = doc();
    missing.onPremises.acceptedDomains.splice(1, 1);
    expect(run(routingDomainMisconfigured, byId(missing)).map((x) => x.subject.name)).toEqual(["contoso.mail.onmicrosoft.com"]);
    // Nothing says the prefix: not judged, rather than a guessed domain.
    missing.onPremises.sendConnectors[0]!.AddressSpaces = ["smtp:*;1"];
    expect(judge(routingDomainMisconfigured, byId(missing)).notChecked[0]!.reason).toMatch(/routing domain is not known/);
  });
});

describe("hybrid-remote-domain-misconfigured", () => {
  it("finds nothing with the wizard's remote domains", () => {
    expect(run(hybridRemoteDomainMisconfigured, doc())).toEqual([]);
  });

  it.each([
    ["TargetDeliveryDomain", "contoso.mail.onmicrosoft.com", 1],
    ["TrustedMailInboundEnabled", "contoso.onmicrosoft.com", 2],
  ] as const)('proposes Set-RemoteDomain -%s $true for %s when the wizard\'s setting is off (false, "False" or null)', (parameter, domain, index) => {
    for (const off of [false, "False", null]) {
      const document = doc();
      (document.onPremises.remoteDomains[index] as Loose)[parameter] = off;
      const [f, ...rest] = run(hybridRemoteDomainMisconfigured, document);
      expect(rest).toEqual([]);
      expect(f!.subject).toEqual({ kind: "remote-domain", name: domain });
      expect(f!.changes).toEqual([
        { kind: "property", side: "on-premises", cmdlet: "Set-RemoteDomain", identity: `Hybrid Domain - ${domain}`, parameter, value: true },
      ]);
    }
  });

  it("reports a missing remote domain with New-RemoteDomain in its summary and no Set- change", () => {
    const document = doc();
    document.onPremises.remoteDomains = document.onPremises.remoteDomains.filter((d) => d.Name === "Default");
    const findings = run(hybridRemoteDomainMisconfigured, document);
    expect(refs(findings)).toEqual(["remote-domain contoso.mail.onmicrosoft.com", "remote-domain contoso.onmicrosoft.com"]);
    for (const f of findings) {
      expect(f.summary).toContain("New-RemoteDomain");
      expect(f.changes).toEqual([]);
    }
    // Missing and switched off are two problems: the digest tells them apart.
    const off = doc();
    off.onPremises.remoteDomains[1]!.TargetDeliveryDomain = false;
    const [offFinding] = run(hybridRemoteDomainMisconfigured, off);
    expect(offFinding!.id).toBe(findings[0]!.id);
    expect(offFinding!.digest).not.toBe(findings[0]!.digest);
  });

  it("finds the tenant's remote domains by its *.mail.onmicrosoft.com domain when the tenant is given as its id", () => {
    const document = { ...doc(), tenant: TENANT_ID };
    document.onPremises.remoteDomains[2]!.TrustedMailInboundEnabled = false;
    expect(refs(run(hybridRemoteDomainMisconfigured, document))).toEqual(["remote-domain contoso.onmicrosoft.com"]);
  });
});

// ---- hybrid-receive-not-trusted / connector-open-to-internet ---------------

describe("hybrid-receive-not-trusted", () => {
  const untrusted = () => {
    const document = doc();
    for (const c of document.onPremises.receiveConnectors) c.TlsDomainCapabilities = [];
    return document;
  };

  it("finds nothing when a connector that takes EOP's mail carries AcceptCloudServicesMail, by name or as 512", () => {
    expect(run(hybridReceiveNotTrusted, doc())).toEqual([]);
    const numeric = untrusted();
    (numeric.onPremises.receiveConnectors[0] as Loose).TlsDomainCapabilities = [
      { Domain: "mail.protection.outlook.com", Capabilities: 512, SmtpX509Identifier: null },
    ];
    expect(run(hybridReceiveNotTrusted, numeric)).toEqual([]);
  });

  it("counts the capability on a connector on another port than 25 (behind a load balancer), but not on Exchange's internal ports", () => {
    const on2526 = untrusted();
    Object.assign(on2526.onPremises.receiveConnectors[0]!, {
      Bindings: ["0.0.0.0:2526"],
      TlsDomainCapabilities: ["mail.protection.outlook.com:AcceptCloudServicesMail"],
    });
    expect(run(hybridReceiveNotTrusted, on2526)).toEqual([]);
    const on717 = untrusted();
    Object.assign(on717.onPremises.receiveConnectors[0]!, {
      Bindings: ["0.0.0.0:717"],
      TlsDomainCapabilities: ["mail.protection.outlook.com:AcceptCloudServicesMail"],
    });
    expect(run(hybridReceiveNotTrusted, on717)).toHaveLength(1);
  });

  it("looks only at the hybrid configuration's receiving servers", () => {
    const document = doc();
    document.onPremises.hybridConfiguration.ReceivingTransportServers = ["EX02"];
    document.onPremises.receiveConnectors[1]!.TlsDomainCapabilities = [];
    // EX01's connector is trusted, but EX01 does not receive Exchange Online's mail.
    const [f] = run(hybridReceiveNotTrusted, document);
    expect(f!.evidence.receivingServers).toEqual(["ex02"]);
    expect(f!.summary).toContain("EX02\\Default Frontend EX02");
    expect(f!.summary).not.toContain("EX01");
  });

  it("is not judged where Edge servers take the hybrid mail and their connectors are not in the document", () => {
    const document = untrusted();
    (document.onPremises.hybridConfiguration as Loose).EdgeTransportServers = ["EDGE01"];
    const { findings, notChecked } = judge(hybridReceiveNotTrusted, document);
    expect(findings).toEqual([]);
    expect(notChecked[0]!.reason).toMatch(/arrives at the Edge Transport server EDGE01, whose receive connectors the document does not have/);
    // With the Edge's connector collected, it is judged on it.
    document.onPremises.receiveConnectors.push({
      ...doc().onPremises.receiveConnectors[0]!,
      Identity: "EDGE01\\Default internal receive connector EDGE01",
      Name: "Default internal receive connector EDGE01",
      Server: "EDGE01",
      TlsDomainCapabilities: ["mail.protection.outlook.com:AcceptOorgProtocol"],
    });
    expect(run(hybridReceiveNotTrusted, document)).toEqual([]);
  });

  it("reports when no port-25 connector carries the capability, naming them, with no change proposed", () => {
    const [f, ...rest] = run(hybridReceiveNotTrusted, untrusted());
    expect(rest).toEqual([]);
    expect(f!.severity).toBe("error");
    expect(f!.subject).toEqual({ kind: "organisation", name: "contoso.onmicrosoft.com" });
    expect(f!.summary).toContain("EX01\\Default Frontend EX01 (no TlsDomainCapabilities), EX02\\Default Frontend EX02 (no TlsDomainCapabilities)");
    expect(f!.changes ?? []).toEqual([]);
  });

  it("takes Exchange 2010's AcceptOorgProtocol, as text or as a serialised object", () => {
    const text = untrusted();
    text.onPremises.receiveConnectors[1]!.TlsDomainCapabilities = ["mail.protection.outlook.com:AcceptOorgProtocol"];
    expect(run(hybridReceiveNotTrusted, text)).toEqual([]);
    const object = untrusted();
    (object.onPremises.receiveConnectors[0] as Loose).TlsDomainCapabilities = [
      { Domain: "mail.protection.outlook.com", Capabilities: "AcceptOorgProtocol", SmtpX509Identifier: null },
    ];
    expect(run(hybridReceiveNotTrusted, object)).toEqual([]);
  });

  it("does not count the capability on another domain, on a connector bound to port 2525, or on a disabled one", () => {
    const otherDomain = untrusted();
    otherDomain.onPremises.receiveConnectors[0]!.TlsDomainCapabilities = ["fabrikam.com:AcceptCloudServicesMail"];
    const [other] = run(hybridReceiveNotTrusted, otherDomain);
    expect(other!.summary).toContain(
      "EX01\\Default Frontend EX01 (fabrikam.com:AcceptCloudServicesMail) names another domain than mail.protection.outlook.com",
    );

    const on2525 = untrusted();
    on2525.onPremises.receiveConnectors.push({
      ...doc().onPremises.receiveConnectors[0]!,
      Identity: "EX01\\Hybrid 2525",
      Name: "Hybrid 2525",
      Bindings: ["0.0.0.0:2525"],
    });
    const [f] = run(hybridReceiveNotTrusted, on2525);
    expect((f!.evidence.connectors as { identity: string }[]).map((c) => c.identity)).toEqual([
      "EX01\\Default Frontend EX01",
      "EX02\\Default Frontend EX02",
    ]);

    const disabled = doc();
    for (const c of disabled.onPremises.receiveConnectors) c.Enabled = false;
    expect(run(hybridReceiveNotTrusted, disabled)[0]!.summary).toContain("none is bound to port 25");
  });
});

describe("connector-open-to-internet", () => {
  const withoutAllowlists = () => ({ ...doc(), allowlists: [] as StateDocument["allowlists"] });

  it("finds nothing when an allowlist narrows port 25 to EOP", () => {
    expect(run(connectorOpenToInternet, doc())).toEqual([]);
  });

  it("tells, as news, of each trusted connector open to every address when no allowlist narrows port 25", () => {
    // The wizard leaves Default Frontend open, and the trust is bound to Exchange Online's certificate: not a fault, but a way past EOP.
    const findings = run(connectorOpenToInternet, withoutAllowlists());
    expect(refs(findings)).toEqual(["receive-connector EX01\\Default Frontend EX01", "receive-connector EX02\\Default Frontend EX02"]);
    expect(findings.every((f) => f.severity === "info" && (f.changes ?? []).length === 0)).toBe(true);
    expect(findings[0]!.impact).toContain("only a sender with Exchange Online's certificate gets the trust");
  });

  it("is not narrowed by an allowlist that lets every address in", () => {
    for (const entries of [["0.0.0.0/0", "::/0"], ["0.0.0.0/0"], ["0.0.0.0-255.255.255.255"]]) {
      const document = { ...doc(), allowlists: [{ name: "edge-fw any", mode: "superset", entries }] };
      expect(run(connectorOpenToInternet, document), entries.join()).toHaveLength(2);
    }
  });

  it("leaves out connectors whose own RemoteIPRanges are narrowed, and connectors not trusted for cloud mail", () => {
    const document = withoutAllowlists();
    document.onPremises.receiveConnectors[0]!.RemoteIPRanges = [...EOP_WORLDWIDE];
    expect(refs(run(connectorOpenToInternet, document))).toEqual(["receive-connector EX02\\Default Frontend EX02"]);
    document.onPremises.receiveConnectors[1]!.TlsDomainCapabilities = [];
    expect(run(connectorOpenToInternet, document)).toEqual([]);
  });

  it("sees the trust when Capabilities is the number a local session writes (512, AcceptCloudServicesMail)", () => {
    const document = withoutAllowlists();
    for (const c of document.onPremises.receiveConnectors as Loose[]) {
      c.TlsDomainCapabilities = [{ Domain: "mail.protection.outlook.com", Capabilities: 512, SmtpX509Identifier: null }];
    }
    expect(run(connectorOpenToInternet, document)).toHaveLength(2);
  });

  it("sees an open connector in the serialised IPRange objects a remote session writes", () => {
    const document = withoutAllowlists();
    (document.onPremises.receiveConnectors[0] as Loose).RemoteIPRanges = [
      { LowerBound: "0.0.0.0", UpperBound: "255.255.255.255", RangeFormat: "LoHi", Expression: "0.0.0.0-255.255.255.255" },
    ];
    expect(refs(run(connectorOpenToInternet, document))).toContain("receive-connector EX01\\Default Frontend EX01");
  });
});

// ---- outbound-connector-drift ----------------------------------------------

describe("outbound-connector-drift", () => {
  it("finds nothing when the outbound connector matches the hybrid configuration", () => {
    expect(run(outboundConnectorDrift, doc())).toEqual([]);
  });

  it("adds the missing smart host to the list it has, never dropping an entry", () => {
    const document = doc();
    document.exchangeOnline.outboundConnectors[0]!.SmartHosts = ["old.contoso.com", "EX03.contoso.com"];
    const [f, ...rest] = run(outboundConnectorDrift, document);
    expect(rest).toEqual([]);
    expect(f!.severity).toBe("error");
    expect(f!.changes).toEqual([
      {
        kind: "property",
        side: "exchange-online",
        cmdlet: "Set-OutboundConnector",
        identity: OUTBOUND,
        parameter: "SmartHosts",
        value: ["old.contoso.com", "ex03.contoso.com", "mail.contoso.com"],
      },
    ]);
  });

  it("does not ask for a smart host when the connector routes by MX", () => {
    const document = doc();
    Object.assign(document.exchangeOnline.outboundConnectors[0]!, { SmartHosts: [], UseMXRecord: true });
    expect(run(outboundConnectorDrift, document)).toEqual([]);
  });

  it("adds the hybrid domains the recipient domains leave out, keeping the others", () => {
    const document = doc();
    document.onPremises.hybridConfiguration.Domains = ["contoso.com", "fabrikam.com", "sales.contoso.com"];
    document.exchangeOnline.outboundConnectors[0]!.RecipientDomains = ["sales.contoso.com", "legacy.contoso.com"];
    const [f] = run(outboundConnectorDrift, document);
    expect(f!.severity).toBe("error");
    expect(f!.summary).toContain("leave out contoso.com, fabrikam.com");
    expect(f!.changes).toEqual([
      expect.objectContaining({ parameter: "RecipientDomains", value: ["sales.contoso.com", "legacy.contoso.com", "contoso.com", "fabrikam.com"] }),
    ]);
  });

  it("proposes DomainValidation for the smart host under EncryptionOnly when the on-premises certificate has its name", () => {
    const document = doc();
    document.exchangeOnline.outboundConnectors[0]!.TlsSettings = "EncryptionOnly";
    const [f] = run(outboundConnectorDrift, document);
    expect(f!.severity).toBe("warning");
    // TlsDomain first: alone it changes nothing; DomainValidation without it would have no name to check.
    expect(f!.changes).toEqual([
      expect.objectContaining({ parameter: "TlsDomain", value: "mail.contoso.com" }),
      expect.objectContaining({ parameter: "TlsSettings", value: "DomainValidation" }),
    ]);
  });

  it("proposes no DomainValidation when the certificate with the name is self-signed or expired: Exchange Online would refuse it", () => {
    const selfSigned = makeCertificate({
      subject: [["CN", "mail.contoso.com"]],
      sans: SANS,
      notBefore: daysFrom(AT, -1),
      notAfter: daysFrom(AT, 300),
    });
    const expired = pki.leaf(pki.ca2, "mail.contoso.com", { from: -400, to: -1 }, SANS);
    for (const cert of [selfSigned, expired]) {
      const document = doc({ installed: [cert], named: cert });
      document.exchangeOnline.outboundConnectors[0]!.TlsSettings = "EncryptionOnly";
      const [f] = run(outboundConnectorDrift, document);
      expect(f!.summary).toContain("its TLS is EncryptionOnly");
      expect(f!.changes ?? []).toEqual([]);
    }
  });

  it("reports EncryptionOnly without that change when the certificate does not have the smart host's name", () => {
    // Validation against mail.contoso.com would refuse smtp.contoso.com's certificate and stop mail that flows today.
    const renamed = pki.leaf(pki.ca2, "smtp.contoso.com", { from: 0, to: 365 });
    const document = doc({ installed: [renamed], named: renamed });
    document.exchangeOnline.outboundConnectors[0]!.TlsSettings = "EncryptionOnly";
    const [f, ...rest] = run(outboundConnectorDrift, document);
    expect(rest).toEqual([]);
    expect(f!.summary).toContain("its TLS is EncryptionOnly, not the wizard's DomainValidation");
    expect(f!.changes).toEqual([]);
  });

  it("accepts CertificateValidation, and ignores Partner and disabled connectors", () => {
    const validation = doc();
    validation.exchangeOnline.outboundConnectors[0]!.TlsSettings = "CertificateValidation";
    expect(run(outboundConnectorDrift, validation)).toEqual([]);
    for (const change of [{ ConnectorType: "Partner" }, { Enabled: false }]) {
      const document = doc();
      Object.assign(document.exchangeOnline.outboundConnectors[0]!, { SmartHosts: ["old.contoso.com"], TlsSettings: "EncryptionOnly" }, change);
      expect(run(outboundConnectorDrift, document)).toEqual([]);
    }
  });
});

// ---- parts not collected ----------------------------------------------------

describe("a state document without its certificates", () => {
  it("checks no certificate name, expiry or renewal, says so once, and reads nothing as missing", () => {
    const document = doc();
    (document.onPremises as Loose).exchangeCertificates = undefined;
    const { check, artifacts } = evaluate(observe(document));
    expect(check.findings.map((f) => f.rule)).toEqual([]);
    const reason = "the state document has no onPremises.exchangeCertificates (Get-ExchangeCertificate)";
    expect(artifacts["report.md"]).toContain(`## Not checked\n\n- ${reason}: \`certificate-expired\`, \`tls-certificate-name-mismatch\``);
    expect(artifacts["report.md"]).toContain("| Hybrid deployment | yes: the organisation has a hybrid configuration |");
    expect(artifacts["report.html"]).toContain(`<li>${reason}: <code>certificate-expired</code>, <code>tls-certificate-name-mismatch</code>`);
    expect(check.report.evidence.hybrid?.notChecked).toEqual([
      {
        reason: "the state document has no onPremises.exchangeCertificates (Get-ExchangeCertificate)",
        rules: [
          "certificate-expired",
          "tls-certificate-name-mismatch",
          "tls-sender-name-mismatch",
          "tls-domain-mismatch",
          "certificate-expiring",
          "certificate-renewed",
        ],
      },
    ]);
  });

  it("judges the references whose servers' certificates it has, and lists the others, when one server's are missing", () => {
    // The connectors name certificate A; only B is installed (a renewal they missed). An Edge send connector names A too.
    const document = doc({ installed: [certB], named: certA });
    document.onPremises.sendConnectors.push({
      ...document.onPremises.sendConnectors[0]!,
      Identity: "EdgeSync - Inbound to Office 365",
      Name: "EdgeSync - Inbound to Office 365",
      SourceTransportServers: ["EDGE01"],
    });
    const { check } = evaluate(observe(document));
    const mismatched = check.findings.filter((f) => f.rule === "tls-certificate-name-mismatch").map((f) => `${f.subject.kind} ${f.subject.name}`);
    expect(mismatched.sort()).toEqual(REFERENCES);
    const partly = check.report.evidence.hybrid?.notChecked.find((n) => n.rules.includes("tls-certificate-name-mismatch"));
    expect(partly?.reason).toBe(
      "the document has no certificates of edge01 (it has those of ex01, ex02), which EdgeSync - Inbound to Office 365 name",
    );
  });

  it("reports an expiring certificate on EX01 although the collector could not read EX02's", () => {
    const soon = pki.leaf(pki.ca1, "mail.contoso.com", { from: -300, to: 5 }, SANS);
    const document = {
      ...doc({ installed: [soon], named: soon }),
      notCollected: [{ part: "onPremises.exchangeCertificates", server: "EX02", reason: "EX02 did not answer" }],
    };
    document.onPremises.exchangeCertificates = document.onPremises.exchangeCertificates.filter((c) => c.Server === "EX01");
    const { check } = evaluate(observe(document));
    expect(check.findings.map((f) => `${f.rule} ${f.severity}`)).toContain("certificate-expiring error");
    // What names a certificate on EX02 too (the send connector, the hybrid configuration) waits for EX02's certificates.
    expect(check.report.evidence.hybrid?.notChecked.map((n) => n.reason)).toEqual([
      `the document has no certificates of ex02 (it has those of ex01), which ${SEND}, EX02\\Default Frontend EX02, Hybrid Configuration name`,
    ]);
  });

  it("keeps what each connector's certificate was, for the next check that has them", () => {
    const memory: CertificateMemory = { "send-connector|x": { thumbprints: ["A"] } };
    const document = doc();
    (document.onPremises as Loose).exchangeCertificates = undefined;
    expect(rememberCertificates(memory, observe(document).hybrid!, AT)).toBe(memory);
  });
});

// ---- state-document-stale ----------------------------------------------------

describe("state-document-stale", () => {
  const later = (hours: number) => new Date(Date.parse("2026-11-22T05:00:00Z") + hours * 3_600_000);

  it("warns when the document is older than the tenant allows (48 hours unless set), naming when it was collected", () => {
    expect(run(stateDocumentStale, doc(), { at: later(47) })).toEqual([]);
    const [f, ...rest] = run(stateDocumentStale, doc(), { at: later(72) });
    expect(rest).toEqual([]);
    expect(f!.severity).toBe("warning");
    expect(f!.subject).toEqual({ kind: "state-document", name: "contoso.onmicrosoft.com" });
    expect(f!.summary).toContain("was collected 3 days ago (2026-11-22T05:00:00.000Z), past the 2 days this tenant allows");
    expect(run(stateDocumentStale, doc(), { at: later(72), staleEvidenceHours: 100 })).toEqual([]);
    // The same old document is the same finding day after day: it alerts once.
    expect(run(stateDocumentStale, doc(), { at: later(96) })[0]!.digest).toBe(f!.digest);
  });

  it("warns of an uploaded probe that ran too long ago, never of the check's own", () => {
    const probe = { host: "mail.contoso.com", port: 25, banner: "", ehlo: [], starttls: true, ehloMasked: false, durationMs: 5 };
    const probes = {
      results: [
        { ...probe, probedAt: "2026-11-10T00:00:00Z", source: "document" as const },
        { ...probe, host: "mx2.contoso.com", probedAt: "2026-11-10T00:00:00Z", source: "check" as const },
      ],
      probedHere: true,
      unavailable: [],
    };
    const findings = run(stateDocumentStale, doc(), { probes });
    expect(findings.map((f) => `${f.subject.kind} ${f.subject.name}`)).toEqual(["probe mail.contoso.com:25"]);
    expect(findings[0]!.summary).toContain("ran 12 days ago (2026-11-10T00:00:00Z)");
  });
});

// ---- a working hybrid --------------------------------------------------------

describe("a hybrid as the wizard leaves it", () => {
  it("gives no finding and leaves nothing unchecked: the contoso document has every part, set up as a real wizard log shows", () => {
    // SammyKrosoft/Hybrid-Config-Wiz-Checks: the routing domain Authoritative, Default Frontend open with the capability and
    // the certificate, the send connector with DomainValidation to mail.protection.outlook.com, both remote domains.
    const { check } = evaluate(observe(doc()));
    expect(check.findings.map((f) => `${f.rule} ${f.subject.name}`)).toEqual([]);
    expect(check.report.evidence.hybrid?.notChecked).toEqual([]);
    expect(check.report.status).toBe("in-sync");
  });
});

// ---- the scripts -----------------------------------------------------------

describe("the hybrid rules' changes in remediation.ps1 and exchange-online-remediation.ps1", () => {
  /** A document that drifts in every way a Set- line fixes, except the certificate names the renewal test covers. */
  function drifted(): StateDocument {
    const document = doc({ tlsSenderCertificateName: "legacy.contoso.com" });
    document.onPremises.remoteDomains[1]!.TargetDeliveryDomain = false;
    Object.assign(document.exchangeOnline.outboundConnectors[0]!, { SmartHosts: ["old.contoso.com"], TlsSettings: "EncryptionOnly" });
    return document;
  }

  it("writes one Set- line per proposed change, on its side, with every value single-quoted", async () => {
    const { check, artifacts } = evaluate(observe(drifted()));
    const changes = check.findings.flatMap((f) => f.changes ?? []) as PropertyChange[];
    expect(check.findings.map((f) => f.rule)).toEqual(["tls-sender-name-mismatch", "outbound-connector-drift", "hybrid-remote-domain-misconfigured"]);
    const onPremises = artifacts["remediation.ps1"]!;
    const online = artifacts["exchange-online-remediation.ps1"]!;
    expect(setLines(onPremises)).toEqual([
      "Set-RemoteDomain -Identity 'Hybrid Domain - contoso.mail.onmicrosoft.com' -TargetDeliveryDomain $true -Confirm:$false",
    ]);
    expect(setLines(online)).toEqual([
      `Set-InboundConnector -Identity '${INBOUND}' -TlsSenderCertificateName 'mail.contoso.com' -Confirm:$false`,
      `Set-OutboundConnector -Identity '${OUTBOUND}' -SmartHosts @('old.contoso.com', 'mail.contoso.com') -Confirm:$false`,
      `Set-OutboundConnector -Identity '${OUTBOUND}' -TlsDomain 'mail.contoso.com' -Confirm:$false`,
      `Set-OutboundConnector -Identity '${OUTBOUND}' -TlsSettings 'DomainValidation' -Confirm:$false`,
    ]);
    // Every change the findings propose is written, on the side it belongs to.
    expect(changes.filter((c) => c.side === "on-premises")).toHaveLength(setLines(onPremises).length);
    expect(changes.filter((c) => c.side === "exchange-online")).toHaveLength(setLines(online).length);
    // Each one is saved first, for the rollback.
    expect(online.match(/^Get-OutboundConnector -Identity /gm)).toHaveLength(3);
    expect(onPremises).toMatch(/^Get-RemoteDomain -Identity 'Hybrid Domain - contoso\.mail\.onmicrosoft\.com' \|$/m);
    expect(await powershellSyntaxProblems(onPremises)).toEqual([]);
    expect(await powershellSyntaxProblems(online)).toEqual([]);
  });

  it("says nothing is to change in Exchange Online when only the on-premises side drifts", () => {
    const onlyOnPremises = doc();
    onlyOnPremises.onPremises.remoteDomains[1]!.TargetDeliveryDomain = false;
    const { artifacts } = evaluate(observe(onlyOnPremises));
    expect(setLines(artifacts["exchange-online-remediation.ps1"]!)).toEqual([]);
    expect(artifacts["exchange-online-remediation.ps1"]).toContain("Nothing to change in Exchange Online.");
    expect(setLines(artifacts["remediation.ps1"]!)).toHaveLength(1);
  });

  it("keeps hostile connector names, with a typographic quote and $(…), inside inert literals on both sides", async () => {
    const hostile = "Bob\u2019s $(Stop-Computer) frontend";
    const inbound = "Inbound from Bob\u2019s $(Remove-Mailbox x)";
    const document = doc({ installed: [certB], named: certA, tlsSenderCertificateName: "legacy.contoso.com" });
    Object.assign(document.onPremises.receiveConnectors[0]!, { Identity: `EX01\\${hostile}`, Name: hostile });
    document.exchangeOnline.inboundConnectors[0]!.Name = inbound;
    const { artifacts } = evaluate(observe(document));

    for (const [script, cmdlet, name] of [
      [artifacts["remediation.ps1"]!, "Set-ReceiveConnector", `EX01\\${hostile}`],
      [artifacts["exchange-online-remediation.ps1"]!, "Set-InboundConnector", inbound],
    ] as const) {
      const call = `\r\n${cmdlet} -Identity `;
      const at = script.indexOf(call);
      expect(at, cmdlet).toBeGreaterThan(0);
      const literal = readPsLiteral(script, at + call.length);
      // PowerShell reads the name back whole, and what follows it is the parameter, not the rest of the name.
      expect(literal.value).toBe(name);
      expect(script.slice(literal.end)).toMatch(/^ -Tls(Certificate|SenderCertificate)Name '/);
      expect(script).toContain(name.replace("\u2019", "\u2019\u2019"));
      expect(script.split("\r\n").filter((l) => /^(Stop-Computer|Remove-Mailbox)/.test(l))).toEqual([]);
      expect(await powershellSyntaxProblems(script)).toEqual([]);
    }
    const receive = setLines(artifacts["remediation.ps1"]!).find((l) => l.startsWith("Set-ReceiveConnector -Identity 'EX01\\Bob"));
    expect(receive).toBe(
      `Set-ReceiveConnector -Identity 'EX01\\Bob\u2019\u2019s $(Stop-Computer) frontend' -TlsCertificateName '${tlsName(certB)}' -Confirm:$false`,
    );
  });
});
