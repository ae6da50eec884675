/**
 * The checks on real Exchange output: Microsoft's own Export-Clixml captures
 * of an Exchange 2019 lab (test/fixtures/exchange-clixml, see its
 * SOURCES.md), read as the command line reads them, each set of cmdlets'
 * exports made into one state document. The findings expected are the ones
 * HealthChecker's own tests expect of these files, and where it has none,
 * what an Exchange admin would say of them (each says why).
 */
import { describe, expect, it } from "vitest";
import type { Finding } from "../src/core/finding.js";
import { parseDocument } from "../src/serialised/document.js";
import { CAPTURE_FILES, CAPTURE_SETS, CAPTURED, captureText, checkExports } from "./support/exchange-captures.js";

function check(files: readonly string[]) {
  return checkExports(files.map((file) => ({ source: file, data: parseDocument(captureText(file), file), modifiedAt: CAPTURED })));
}

const brief = (findings: readonly Finding[]) => findings.map((f) => `${f.rule} ${f.severity} ${f.subject.name}`);
const notCheckedRules = (n: readonly { rules: string[] }[]) => n.flatMap((x) => x.rules).sort();

const EI = CAPTURE_SETS.EI!;
const FRONTEND = "WIN-CTD3L0RGEN4\\Default Frontend WIN-CTD3L0RGEN4";
const MAIL_TO_O365 = "Mail to O365";

describe("Microsoft's captures of an Exchange 2019 server, as Export-Clixml wrote them", () => {
  it("accepts every capture alone", () => {
    for (const file of CAPTURE_FILES) {
      const { inventory } = check([file]);
      expect(inventory.hybrid, file).toBeDefined();
    }
  });

  it("reads the receive connectors as Exchange shows them: roles, bindings, capabilities, certificate names, ranges", () => {
    const { inventory } = check(["EI-GetReceiveConnector.xml"]);
    const connectors = inventory.hybrid!.onPremises!.receiveConnectors!;
    expect(connectors.map((c) => [c.identity, c.transportRole, c.ports])).toEqual([
      ["WIN-CTD3L0RGEN4\\Default WIN-CTD3L0RGEN4", "HubTransport", [2525]],
      ["WIN-CTD3L0RGEN4\\Client Proxy WIN-CTD3L0RGEN4", "HubTransport", [465]],
      [FRONTEND, "FrontendTransport", [25]],
      ["WIN-CTD3L0RGEN4\\Outbound Proxy Frontend WIN-CTD3L0RGEN4", "FrontendTransport", [717]],
      ["WIN-CTD3L0RGEN4\\Client Frontend WIN-CTD3L0RGEN4", "FrontendTransport", [587]],
    ]);
    const frontend = connectors[2]!;
    expect(frontend.tlsDomainCapabilities).toEqual([{ domain: "fabrikam.com", capabilities: ["AcceptCloudServicesMail"] }]);
    expect(frontend.tlsCertificateName).toEqual({ issuer: "CN=WIN-CTD3L0RGEN4", subject: "CN=WIN-CTD3L0RGEN4" });
    expect(frontend.permissionGroups).toEqual(["AnonymousUsers", "ExchangeServers", "ExchangeLegacyServers"]);
    expect(frontend.authMechanism).toEqual(["Tls", "Integrated", "BasicAuth", "BasicAuthRequireTLS", "ExchangeServer"]);
    expect(frontend.remoteIPRanges).toEqual(["::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "0.0.0.0-255.255.255.255"]);
  });

  it("reads the send connector's smart host by its name, not its 0.0.0.0 address", () => {
    const { inventory } = check(["EI-GetSendConnector.xml"]);
    const [send] = inventory.hybrid!.onPremises!.sendConnectors!;
    expect(send).toMatchObject({
      identity: MAIL_TO_O365,
      smartHosts: ["microsoft-com.mail.protection.outlook.com"],
      addressSpaces: ["*"],
      cloudServicesMailEnabled: true,
      sourceTransportServers: ["WIN-CTD3L0RGEN4"],
      sourceIPAddress: "0.0.0.0",
      tlsCertificateName: { issuer: "CN=localhost", subject: "CN=localhost" },
    });
    expect(send!.tlsAuthLevel).toBeUndefined();
  });

  it("reads certificates that carry only RawData from their DER, their services unknown", () => {
    const { inventory } = check(["EI-GetExchangeCertificate.xml"]);
    const certificates = inventory.hybrid!.onPremises!.exchangeCertificates!;
    expect(certificates.map((c) => [c.subject, c.thumbprint.slice(0, 8), c.services, c.fromRawData])).toEqual([
      ["CN=Microsoft Exchange Server Auth Certificate", expect.any(String), undefined, true],
      ["CN=WIN-CTD3L0RGEN4", "611C687D", undefined, true],
      ["CN=localhost", "E267D459", undefined, true],
      expect.arrayContaining([undefined, true]),
    ]);
  });

  it("finds both connectors' TlsCertificateName among the installed certificates, as HealthChecker expects (611C687D…, E267D459…)", () => {
    const { findings } = check(EI);
    expect(findings.filter((f) => f.rule.startsWith("tls-certificate-name") || f.rule.startsWith("certificate-"))).toEqual([]);
  });

  it("says of the EI set what an Exchange admin would, and which checks its parts cannot feed", () => {
    const { findings, notChecked } = check(EI);
    expect(brief(findings)).toEqual([
      // Default Frontend trusts fabrikam.com (the documentation's example), not mail.protection.outlook.com: EOP's mail is Anonymous.
      "hybrid-receive-not-trusted error contoso.onmicrosoft.com",
      // HealthChecker: "TlsAuthLevel not set to CertificateValidation or DomainValidation".
      `send-connector-to-cloud-misconfigured warning ${MAIL_TO_O365}`,
      // Every receive connector accepts any address: nothing shows that EOP can deliver.
      "no-eop-target warning contoso.onmicrosoft.com",
    ]);
    expect(findings[0]!.summary).toContain(
      `${FRONTEND} (fabrikam.com:AcceptCloudServicesMail) names another domain than mail.protection.outlook.com`,
    );
    expect(notCheckedRules(notChecked)).toEqual([
      "accepted-domain-open-relay",
      "hybrid-remote-domain-misconfigured",
      "outbound-connector-drift",
      "routing-domain-misconfigured",
      "tls-domain-mismatch",
      "tls-sender-name-mismatch",
    ]);
    expect(notChecked.map((n) => n.reason)).toContain("the state document has no onPremises.acceptedDomains (Get-AcceptedDomain)");
  });

  it("finds the receive connector's certificate missing from the incomplete set, as HealthChecker does (TlsCertificateNotFound)", () => {
    const { findings } = check(["EI-GetReceiveConnector.xml", "EI-GetSendConnector.xml", "EI-GetExchangeCertificateIncomplete.xml"]);
    const names = findings.filter((f) => f.rule === "tls-certificate-name-mismatch");
    expect(brief(names)).toEqual([`tls-certificate-name-mismatch error ${FRONTEND}`]);
  });

  it("finds two certificates answering the send connector's name in the multiple-matches set (E267D459…, 03221367…)", () => {
    const { findings } = check(["EI-GetReceiveConnector.xml", "EI-GetSendConnector.xml", "EI-GetExchangeCertificateMultipleMatches.xml"]);
    const [several, ...rest] = findings.filter((f) => f.rule === "tls-certificate-name-mismatch");
    expect(rest).toEqual([]);
    expect(several!.severity).toBe("warning");
    expect(several!.subject.name).toBe(MAIL_TO_O365);
    expect((several!.evidence.certificates as { thumbprint: string }[]).map((c) => c.thumbprint.slice(0, 8)).sort()).toEqual([
      "03221367",
      "E267D459",
    ]);
  });

  it("takes the expired twin of the multiple-matches set, checked today, as a leftover beside the valid one", () => {
    // E267D459… expired on 6 August 2026; 03221367… has the same issuer and subject and is valid until March 2027.
    const today = new Date("2026-12-08T00:00:00Z");
    const { findings } = checkExports(
      ["EI-GetReceiveConnector.xml", "EI-GetSendConnector.xml", "EI-GetExchangeCertificateMultipleMatches.xml"].map((file) => ({
        source: file,
        data: parseDocument(captureText(file), file),
        modifiedAt: today,
      })),
      today,
    );
    const localhost = findings.filter((f) => f.subject.name.startsWith("CN=localhost"));
    expect(brief(localhost)).toEqual(["certificate-expired info CN=localhost (E267D459A0FB53D0EF225C11FAC062D522648C09)"]);
    expect(localhost[0]!.summary).toContain("a valid certificate with the same issuer and subject is installed, and Exchange uses that one");
    // Only one of the two is valid now: the name is no longer ambiguous.
    expect(findings.filter((f) => f.rule === "tls-certificate-name-mismatch")).toEqual([]);
  });

  it("does not judge certificates that nothing in the document names", () => {
    const { findings, notChecked } = check(["EI-GetExchangeCertificate.xml"]);
    expect(findings).toEqual([]);
    expect(notChecked.find((n) => n.rules.includes("certificate-expired"))?.reason).toBe(
      "nothing in the document names a certificate (it has no connectors and no hybrid configuration)",
    );
  });

  it("warns of a cloud-enabled receive connector without a certificate name, as HealthChecker does (TlsCertificateNameEmpty)", () => {
    const { findings } = check(["EI-GetReceiveConnectorEmptyTlsCertificateName.xml", "EI-GetSendConnector.xml", "EI-GetExchangeCertificate.xml"]);
    expect(brief(findings.filter((f) => f.rule === "tls-certificate-name-missing"))).toEqual([`tls-certificate-name-missing warning ${FRONTEND}`]);
  });

  it("takes the send connector that relays to Microsoft 365 with an FQDN and certificate validation as set up right", () => {
    const { findings } = check(["EI-GetSendConnectorConfiguredToRelayToM365.xml", "EI-GetExchangeCertificate.xml"]);
    expect(findings.filter((f) => f.rule === "send-connector-to-cloud-misconfigured")).toEqual([]);
  });

  it("reports the wildcard accepted domain of the bad set as an open relay, as HealthChecker does, and *.com as one too", () => {
    const relays = (file: string) => brief(check([file]).findings.filter((f) => f.rule === "accepted-domain-open-relay"));
    expect(relays("E19-GetAcceptedDomain_Bad.xml")).toEqual([
      "accepted-domain-open-relay error Bad Accepted Domain",
      // Beyond HealthChecker, which looks for * alone: InternalRelay for *.com relays mail for every .com domain.
      "accepted-domain-open-relay error Wild .com",
    ]);
    expect(relays("E19-GetAcceptedDomain.xml")).toEqual(["accepted-domain-open-relay error Wild .com"]);
  });

  it("judges the E19 set with its hybrid configuration, and leaves what the document cannot show unchecked", () => {
    const { findings, notChecked } = check([
      "E19-GetReceiveConnector.xml",
      "E19-GetSendConnector.xml",
      "E19-GetExchangeCertificate.xml",
      "E19-GetHybridConfiguration.xml",
      "E19-GetAcceptedDomain.xml",
    ]);
    expect(brief(findings)).toEqual([
      `send-connector-to-cloud-misconfigured warning ${MAIL_TO_O365}`,
      // The hybrid wizard adds the routing domain as an accepted domain; this organisation has none for contoso.
      "routing-domain-misconfigured warning contoso.mail.onmicrosoft.com",
      "accepted-domain-open-relay error Wild .com",
      "no-eop-target warning contoso.onmicrosoft.com",
    ]);
    // The hybrid configuration names its receiving server ex-02, whose connectors this capture does not have.
    expect(notChecked.find((n) => n.rules.includes("hybrid-receive-not-trusted"))?.reason).toBe(
      "the hybrid configuration's receiving servers (ex-02) have no receive connectors in the document",
    );
    // The certificates were captured on another server (PSComputerName solo-e19a) than the connectors that name them.
    expect(notChecked.find((n) => n.rules.includes("tls-certificate-name-mismatch"))?.reason).toBe(
      "the document has no certificates of win-ctd3l0rgen4, ex-02 (it has those of solo-e19a), which Mail to O365, " +
        "WIN-CTD3L0RGEN4\\Default Frontend WIN-CTD3L0RGEN4, Hybrid Configuration name",
    );
  });
});
