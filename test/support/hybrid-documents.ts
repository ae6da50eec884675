import { formatTlsCertificateName } from "../../src/hybrid/certificate-name.js";
import { exchangeName } from "../../src/hybrid/x500-name.js";
import { daysFrom, type MadeCertificate, makeCertificate } from "./certificates.js";
import { EOP_WORLDWIDE } from "./feed.js";

/** Exchange's text of a made certificate's subject and issuer (most specific first). */
export function exchangeNames(c: MadeCertificate): { subject: string; issuer: string } {
  return { subject: exchangeName(c.x509.subject), issuer: exchangeName(c.x509.issuer) };
}

/** `<I>issuer<S>subject` of a made certificate, as a connector names it. */
export function tlsName(c: MadeCertificate): string {
  return formatTlsCertificateName(exchangeNames(c));
}

/** A Contoso PKI: a root, two intermediates (before and after a renewal), and leaves made on demand. */
export function contosoPki(now: Date) {
  const root = makeCertificate({
    subject: [
      ["C", "US"],
      ["O", "Contoso Test PKI"],
      ["CN", "Contoso Test Root"],
    ],
    isCA: true,
    notBefore: daysFrom(now, -3650),
    notAfter: daysFrom(now, 3650),
  });
  const ca = (name: string) =>
    makeCertificate({
      subject: [
        ["C", "US"],
        ["O", "Contoso Test PKI"],
        ["CN", name],
      ],
      issuer: root,
      isCA: true,
      notBefore: daysFrom(now, -1000),
      notAfter: daysFrom(now, 2000),
    });
  const ca1 = ca("Contoso Test TLS CA-1");
  const ca2 = ca("Contoso Test TLS CA-2");
  const leaf = (issuer: MadeCertificate, cn: string, days: { from: number; to: number }, sans: string[] = [cn]) =>
    makeCertificate({
      subject: [
        ["C", "US"],
        ["O", "Contoso Ltd"],
        ["CN", cn],
      ],
      issuer,
      sans,
      notBefore: daysFrom(now, days.from),
      notAfter: daysFrom(now, days.to),
    });
  return { root, ca1, ca2, leaf };
}

/** A Get-ExchangeCertificate entry as the collector writes it, on one server. */
export function certificateEntry(c: MadeCertificate, server: string, services = "IMAP, POP, IIS, SMTP") {
  const { subject, issuer } = exchangeNames(c);
  return {
    Identity: `${server}\\${c.thumbprint}`,
    Server: server,
    Thumbprint: c.thumbprint,
    Subject: subject,
    Issuer: issuer,
    NotBefore: new Date(c.x509.validFrom).toISOString(),
    NotAfter: new Date(c.x509.validTo).toISOString(),
    Services: services,
    HasPrivateKey: true,
    RawData: c.base64,
  };
}

export interface ContosoState {
  collectedAt: string;
  /** The certificates installed on EX01 and EX02. */
  installed: MadeCertificate[];
  /** What the on-premises connectors and the hybrid configuration name. */
  named: MadeCertificate;
  /** Exchange Online's inbound TlsSenderCertificateName and outbound TlsDomain. */
  tlsSenderCertificateName?: string;
  tlsDomain?: string;
  routingDomainType?: string;
}

/** The contoso hybrid's state document (Exchange 2019, EX01 and EX02, mail.contoso.com), as the collector writes it. */
export function contosoStateDocument(s: ContosoState) {
  const named = tlsName(s.named);
  const frontend = (server: string) => ({
    Identity: `${server}\\Default Frontend ${server}`,
    Name: `Default Frontend ${server}`,
    Server: server,
    Bindings: ["[::]:25", "0.0.0.0:25"],
    RemoteIPRanges: ["0.0.0.0-255.255.255.255", "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
    TlsCertificateName: named,
    TlsDomainCapabilities: ["mail.protection.outlook.com:AcceptCloudServicesMail"],
    TransportRole: "FrontendTransport",
    Enabled: true,
  });
  return {
    tenant: "contoso.onmicrosoft.com",
    instance: "Worldwide",
    collectedAt: s.collectedAt,
    onPremises: {
      receiveConnectors: [frontend("EX01"), frontend("EX02")],
      sendConnectors: [
        {
          Identity: "Outbound to Office 365 - 5c2e0d6a-1f3b-4e8a-9c7d-2b6f4a1e9d30",
          Name: "Outbound to Office 365 - 5c2e0d6a-1f3b-4e8a-9c7d-2b6f4a1e9d30",
          AddressSpaces: ["smtp:contoso.mail.onmicrosoft.com;1"],
          SmartHosts: [],
          DNSRoutingEnabled: true,
          TlsAuthLevel: "DomainValidation",
          TlsDomain: "mail.protection.outlook.com",
          RequireTLS: true,
          CloudServicesMailEnabled: true,
          TlsCertificateName: { CertificateIssuer: exchangeNames(s.named).issuer, CertificateSubject: exchangeNames(s.named).subject },
          SourceTransportServers: ["EX01", "EX02"],
          Enabled: true,
        },
      ],
      exchangeCertificates: ["EX01", "EX02"].flatMap((server) => s.installed.map((c) => certificateEntry(c, server))),
      acceptedDomains: [
        { Name: "contoso.com", DomainName: "contoso.com", DomainType: "Authoritative" },
        { Name: "contoso.mail.onmicrosoft.com", DomainName: "contoso.mail.onmicrosoft.com", DomainType: s.routingDomainType ?? "Authoritative" },
      ],
      remoteDomains: [
        { Name: "Default", DomainName: "*", TargetDeliveryDomain: false, TrustedMailInboundEnabled: false },
        { Name: "Hybrid Domain - contoso.mail.onmicrosoft.com", DomainName: "contoso.mail.onmicrosoft.com", TargetDeliveryDomain: true },
        { Name: "Hybrid Domain - contoso.onmicrosoft.com", DomainName: "contoso.onmicrosoft.com", TrustedMailInboundEnabled: true },
      ],
      hybridConfiguration: {
        OnPremisesSmartHost: "mail.contoso.com",
        Domains: ["contoso.com"],
        TlsCertificateName: named,
        SendingTransportServers: ["EX01", "EX02"],
        ReceivingTransportServers: ["EX01", "EX02"],
        Features: ["FreeBusy", "MoveMailbox", "Mailtips", "MessageTracking", "OwaRedirection", "OnlineArchive", "SecureMail", "Photos"],
      },
    },
    exchangeOnline: {
      inboundConnectors: [
        {
          Name: "Inbound from 5c2e0d6a-1f3b-4e8a-9c7d-2b6f4a1e9d30",
          ConnectorType: "OnPremises",
          ConnectorSource: "HybridWizard",
          TlsSenderCertificateName: s.tlsSenderCertificateName ?? "mail.contoso.com",
          RequireTls: true,
          SenderIPAddresses: [],
          SenderDomains: ["smtp:*;1"],
          CloudServicesMailEnabled: true,
          Enabled: true,
        },
      ],
      outboundConnectors: [
        {
          Name: "Outbound to 5c2e0d6a-1f3b-4e8a-9c7d-2b6f4a1e9d30",
          ConnectorType: "OnPremises",
          SmartHosts: ["mail.contoso.com"],
          UseMXRecord: false,
          TlsSettings: "DomainValidation",
          TlsDomain: s.tlsDomain ?? "mail.contoso.com",
          RecipientDomains: ["contoso.com"],
          RouteAllMessagesViaOnPremises: false,
          CloudServicesMailEnabled: true,
          Enabled: true,
        },
      ],
      acceptedDomains: [{ Name: "contoso.com", DomainName: "contoso.com", DomainType: "Authoritative" }],
    },
    // The firewall in front of the Default Frontend connectors lets only EOP reach port 25.
    allowlists: [{ name: "edge-fw smtp-in", mode: "exact", entries: [...EOP_WORLDWIDE] }],
  };
}
