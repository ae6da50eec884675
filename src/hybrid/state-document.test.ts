import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { makeCertificate } from "../../test/support/certificates.js";
import { inputError } from "../../test/support/failure.js";
import type { InputError } from "../errors.js";
import { parseInventory } from "../inventory/parse.js";
import { parseJson } from "../validation.js";
import type { CertificateName } from "./hybrid-state.js";
import { readStateDocument } from "./state-document.js";
import { sameName } from "./x500-name.js";

/** An error as the CLI prints it: one line, naming the file and the place. */
function expectOneLine(error: InputError, path: string, detail: string | RegExp): void {
  expect(error.message).not.toMatch(/[\r\n]/);
  expect(error.source).toBe("state.json");
  expect(error.path).toBe(path);
  expect(error.message.startsWith(`state.json: ${path}: `)).toBe(true);
  if (typeof detail === "string") expect(error.detail).toBe(detail);
  else expect(error.detail).toMatch(detail);
}

const ca = makeCertificate({
  subject: [
    ["C", "US"],
    ["O", "Contoso Test PKI"],
    ["CN", "Contoso Test TLS CA-2"],
  ],
  isCA: true,
  notBefore: new Date("2025-01-01T00:00:00Z"),
  notAfter: new Date("2030-01-01T00:00:00Z"),
});
const notBefore = new Date("2026-11-20T00:00:00Z");
const notAfter = new Date("2027-11-20T23:59:59Z");
const leaf = makeCertificate({
  subject: [
    ["C", "US"],
    ["O", "Contoso Ltd"],
    ["CN", "mail.contoso.com"],
  ],
  issuer: ca,
  sans: ["mail.contoso.com", "autodiscover.contoso.com"],
  notBefore,
  notAfter,
});
// Exchange's order of the names given above: most specific first.
const ISSUER = "CN=Contoso Test TLS CA-2, O=Contoso Test PKI, C=US";
const SUBJECT = "CN=mail.contoso.com, O=Contoso Ltd, C=US";
const NAMED: CertificateName = { issuer: ISSUER, subject: SUBJECT };
const frontendRanges = [
  {
    LowerBound: "::",
    UpperBound: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    RangeFormat: "LoHi",
    Expression: "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
  },
  { LowerBound: "0.0.0.0", UpperBound: "255.255.255.255", RangeFormat: "LoHi", Expression: "0.0.0.0-255.255.255.255" },
];

/** A document with every part, in the shapes the Exchange Management Shell and Windows PowerShell 5.1 write; fresh for each test. */
function fullDocument() {
  return {
    tenant: "contoso.onmicrosoft.com",
    instance: "Worldwide",
    collectedAt: "2026-11-21T06:00:12.481+01:00",
    onPremises: {
      receiveConnectors: [
        {
          Identity: "EX01\\Default Frontend EX01",
          Name: "Default Frontend EX01",
          Server: "EX01",
          Bindings: ["[::]:25", "0.0.0.0:25"],
          RemoteIPRanges: frontendRanges,
          TlsCertificateName: `<I>${ISSUER}<S>${SUBJECT}`,
          TlsDomainCapabilities: "mail.protection.outlook.com:AcceptCloudServicesMail",
          PermissionGroups: "AnonymousUsers, ExchangeServers",
          AuthMechanism: "Tls, Integrated",
          TransportRole: "FrontendTransport",
          Enabled: true,
        },
        {
          Name: "Inbound from Office 365",
          Server: { Name: "EX02", DistinguishedName: "CN=EX02,CN=Servers" },
          Bindings: { value: [{ Address: "0.0.0.0", Port: 25 }], Count: 1 },
          RemoteIPRanges: ["192.0.2.0/24", "198.51.100.10"],
          TlsCertificateName: null,
          TlsDomainCapabilities: [{ Domain: { Address: "mail.protection.outlook.com" }, Capabilities: "AcceptCloudServicesMail" }],
          Enabled: "False",
        },
      ],
      sendConnectors: [
        {
          Identity: "Outbound to Office 365 - a7d3c9e2-5f14-4b86-9e0a-3c71d8b2f645",
          Name: "Outbound to Office 365 - a7d3c9e2-5f14-4b86-9e0a-3c71d8b2f645",
          AddressSpaces: ["smtp:Contoso.mail.onmicrosoft.com;1"],
          SmartHosts: [],
          DNSRoutingEnabled: true,
          TlsAuthLevel: "DomainValidation",
          TlsDomain: "Mail.Protection.Outlook.com",
          TlsCertificateName: `<I>${ISSUER}<S>${SUBJECT}`,
          RequireTLS: "True",
          CloudServicesMailEnabled: true,
          SourceTransportServers: { value: ["EX01", "EX02"], Count: 2 },
          Fqdn: "mail.contoso.com",
          Enabled: true,
        },
        {
          Name: "Relay to Fabrikam",
          AddressSpaces: { Type: "smtp", Address: "Fabrikam.com", Cost: 1 },
          SmartHosts: ["[10.0.0.5]", { Address: null, Domain: { HostnameString: "Relay.Contoso.com." } }],
          DNSRoutingEnabled: "False",
          // A local Windows PowerShell session writes the enum as its number.
          TlsAuthLevel: 4,
          TlsCertificateName: { CertificateIssuer: ISSUER, CertificateSubject: SUBJECT, SubjectCommonName: "mail.contoso.com" },
          Enabled: "False",
        },
      ],
      exchangeCertificates: [
        {
          Identity: `EX01.contoso.local\\${"0".repeat(40)}`,
          Server: "EX01",
          // Text fields that contradict the certificate: RawData must win.
          Subject: "CN=old.contoso.com",
          Issuer: "CN=Contoso Test TLS CA-1, O=Contoso Test PKI, C=US",
          Thumbprint: "0".repeat(40),
          NotBefore: "2020-01-01T00:00:00Z",
          NotAfter: "2021-01-01T00:00:00Z",
          CertificateDomains: ["old.contoso.com"],
          Services: "IMAP, POP, IIS, SMTP",
          HasPrivateKey: true,
          PrivateKeyExportable: false,
          RawData: leaf.base64,
        },
        {
          Identity: "EX02.contoso.local\\B73D07055ACDFD7869CC0E5C060546CED753AD52",
          Subject: "CN=EX02",
          Issuer: "CN=EX02",
          Thumbprint: "B73D07055ACDFD7869CC0E5C060546CED753AD52",
          NotAfter: "/Date(1867050900000)/",
          CertificateDomains: { value: ["EX02", "EX02.contoso.local"], Count: 2 },
          Services: "SMTP",
          HasPrivateKey: true,
        },
      ],
      acceptedDomains: [
        { Identity: "contoso.com", Name: "contoso.com", DomainName: "Contoso.com", DomainType: "authoritative" },
        { Identity: "contoso.mail.onmicrosoft.com", DomainName: "contoso.mail.onmicrosoft.com", DomainType: 2 },
      ],
      remoteDomains: [
        { Name: "Default", DomainName: "*" },
        {
          Name: "Hybrid Domain - contoso.mail.onmicrosoft.com",
          DomainName: "contoso.mail.onmicrosoft.com",
          TargetDeliveryDomain: "True",
          TrustedMailInboundEnabled: "False",
        },
      ],
      hybridConfiguration: {
        OnPremisesSmartHost: "Mail.Contoso.com",
        Domains: ["contoso.com"],
        TlsCertificateName: `<I>${ISSUER}<S>${SUBJECT}`,
        SendingTransportServers: ["EX01"],
        ReceivingTransportServers: [{ Name: "EX01" }, "EX02"],
        Features: "FreeBusy, MoveMailbox, Mailtips",
      },
    },
    exchangeOnline: {
      inboundConnectors: [
        {
          Name: "Inbound from a7d3c9e2-5f14-4b86-9e0a-3c71d8b2f645",
          ConnectorType: "OnPremises",
          ConnectorSource: "HybridWizard",
          TlsSenderCertificateName: "Mail.Contoso.com",
          RequireTls: "True",
          SenderIPAddresses: [],
          SenderDomains: ["smtp:*;1"],
          CloudServicesMailEnabled: true,
        },
      ],
      outboundConnectors: {
        Identity: "Outbound to a7d3c9e2-5f14-4b86-9e0a-3c71d8b2f645",
        ConnectorType: "onpremises",
        SmartHosts: ["mail.contoso.com"],
        UseMXRecord: false,
        TlsSettings: "DomainValidation",
        TlsDomain: "mail.contoso.com",
        RecipientDomains: ["contoso.com"],
        CloudServicesMailEnabled: "True",
      },
      acceptedDomains: [{ Name: "contoso.com", DomainName: "contoso.com", DomainType: "Authoritative" }],
      remoteDomains: [],
    },
    allowlists: [{ name: "edge-fw smtp-in", mode: "exact", entries: ["40.92.0.0/15", "2a01:111:f400::/48"] }],
  };
}

describe("readStateDocument: a full document", () => {
  const { hybrid } = readStateDocument(fullDocument(), "state.json");
  const onPremises = hybrid.onPremises!;

  it("keeps when it was collected, in UTC", () => {
    expect(hybrid.collectedAt).toBe(new Date("2026-11-21T05:00:12.481Z").toISOString());
  });

  it("normalises the send connectors, whichever shape each property came in", () => {
    const [wizard, relay] = onPremises.sendConnectors!;
    expect(wizard).toMatchObject({
      identity: "Outbound to Office 365 - a7d3c9e2-5f14-4b86-9e0a-3c71d8b2f645",
      addressSpaces: ["contoso.mail.onmicrosoft.com"],
      smartHosts: [],
      dnsRoutingEnabled: true,
      tlsAuthLevel: "DomainValidation",
      tlsDomain: "mail.protection.outlook.com",
      tlsCertificateName: NAMED,
      requireTls: true,
      cloudServicesMailEnabled: true,
      sourceTransportServers: ["EX01", "EX02"],
      enabled: true,
    });
    expect(relay).toMatchObject({
      identity: "Relay to Fabrikam",
      addressSpaces: ["fabrikam.com"],
      smartHosts: ["10.0.0.5", "relay.contoso.com"],
      dnsRoutingEnabled: false,
      // 4 is DomainValidation in Microsoft.Exchange.Data.TlsAuthLevel.
      tlsAuthLevel: "DomainValidation",
      // The SmtpX509Identifier object names the same certificate as the <I>…<S>… text.
      tlsCertificateName: NAMED,
      requireTls: false,
      enabled: false,
    });
  });

  it("reads egress addresses, and a send connector's SourceIPAddress as text or as a serialised IPAddress", () => {
    const doc = { ...fullDocument(), egressAddresses: ["203.0.113.25", " 2001:db8::25 "] };
    const [wizard, relay] = doc.onPremises.sendConnectors as Record<string, unknown>[];
    wizard!.SourceIPAddress = { Address: 16777343, AddressFamily: 2, IPAddressToString: "127.0.0.1" };
    relay!.SourceIPAddress = "0.0.0.0";
    const read = readStateDocument(doc, "state.json").hybrid;
    expect(read.egressAddresses).toEqual(["203.0.113.25", "2001:db8::25"]);
    expect(read.onPremises?.sendConnectors?.map((c) => c.sourceIPAddress)).toEqual(["127.0.0.1", "0.0.0.0"]);
  });

  it("normalises the receive connectors; their ranges are left to the inventory's parser", () => {
    const [frontend, inbound] = onPremises.receiveConnectors!;
    expect(frontend).toEqual({
      identity: "EX01\\Default Frontend EX01",
      server: "EX01",
      // Both bindings listen on 25: the port once.
      ports: [25],
      enabled: true,
      transportRole: "FrontendTransport",
      tlsCertificateName: NAMED,
      tlsDomainCapabilities: [{ domain: "mail.protection.outlook.com", capabilities: ["AcceptCloudServicesMail"] }],
      remoteIPRanges: [],
      permissionGroups: ["AnonymousUsers", "ExchangeServers"],
      authMechanism: ["Tls", "Integrated"],
    });
    expect(inbound).toMatchObject({
      identity: "EX02\\Inbound from Office 365",
      server: "EX02",
      ports: [25],
      enabled: false,
      tlsCertificateName: undefined,
      tlsDomainCapabilities: [{ domain: "mail.protection.outlook.com", capabilities: ["AcceptCloudServicesMail"] }],
    });
  });

  it("reads certificates from RawData over contradicting text fields", () => {
    const [fromDer, fromText] = onPremises.exchangeCertificates!;
    expect(fromDer).toEqual({
      server: "EX01",
      thumbprint: leaf.thumbprint,
      subject: SUBJECT,
      issuer: ISSUER,
      notBefore: notBefore.toISOString(),
      notAfter: notAfter.toISOString(),
      names: ["mail.contoso.com", "autodiscover.contoso.com"],
      services: ["IMAP", "POP", "IIS", "SMTP"],
      fromRawData: true,
    });
    expect(fromDer?.thumbprint).not.toBe("0".repeat(40));
    // Without RawData the text fields are all there is; the server comes from the Identity.
    expect(fromText).toMatchObject({
      server: "EX02.contoso.local",
      subject: "CN=EX02",
      notAfter: new Date(1867050900000).toISOString(),
      names: ["ex02", "ex02.contoso.local"],
      fromRawData: false,
    });
  });

  it("reads accepted domain types by name and by number, and remote domains' booleans from text", () => {
    expect(onPremises.acceptedDomains).toEqual([
      { name: "contoso.com", domainName: "contoso.com", domainType: "Authoritative" },
      // 2 is InternalRelay in AcceptedDomainType; without Name, the Identity names it.
      { name: "contoso.mail.onmicrosoft.com", domainName: "contoso.mail.onmicrosoft.com", domainType: "InternalRelay" },
    ]);
    expect(onPremises.remoteDomains).toEqual([
      { name: "Default", domainName: "*", targetDeliveryDomain: false, trustedMailInboundEnabled: false },
      {
        name: "Hybrid Domain - contoso.mail.onmicrosoft.com",
        domainName: "contoso.mail.onmicrosoft.com",
        targetDeliveryDomain: true,
        trustedMailInboundEnabled: false,
      },
    ]);
  });

  it("reads the hybrid configuration as an object, a one-item array or 5.1's wrapper", () => {
    const expected = {
      onPremisesSmartHost: "mail.contoso.com",
      domains: ["contoso.com"],
      tlsCertificateName: NAMED,
      sendingTransportServers: ["EX01"],
      receivingTransportServers: ["EX01", "EX02"],
      edgeTransportServers: [],
      features: ["FreeBusy", "MoveMailbox", "Mailtips"],
    };
    expect(onPremises.hybridConfiguration).toEqual(expected);
    for (const wrap of [(h: unknown) => [h], (h: unknown) => ({ value: [h], Count: 1 })]) {
      const doc = fullDocument();
      const asList = { ...doc, onPremises: { ...doc.onPremises, hybridConfiguration: wrap(doc.onPremises.hybridConfiguration) } };
      expect(readStateDocument(asList, "state.json").hybrid.onPremises?.hybridConfiguration).toEqual(expected);
    }
  });

  it("reads the Exchange Online connectors and marks them as from the document", () => {
    const exo = hybrid.exchangeOnline!;
    expect(exo.source).toBe("document");
    expect(exo.inboundConnectors).toEqual([
      {
        name: "Inbound from a7d3c9e2-5f14-4b86-9e0a-3c71d8b2f645",
        enabled: true,
        connectorType: "OnPremises",
        tlsSenderCertificateName: "mail.contoso.com",
        requireTls: true,
        senderIPAddresses: [],
        senderDomains: ["smtp:*;1"],
        cloudServicesMailEnabled: true,
        connectorSource: "HybridWizard",
      },
    ]);
    // A lone object is a one-item list; without Name, the Identity names it.
    expect(exo.outboundConnectors).toEqual([
      {
        name: "Outbound to a7d3c9e2-5f14-4b86-9e0a-3c71d8b2f645",
        enabled: true,
        connectorType: "OnPremises",
        smartHosts: ["mail.contoso.com"],
        useMXRecord: false,
        tlsSettings: "DomainValidation",
        tlsDomain: "mail.contoso.com",
        recipientDomains: ["contoso.com"],
        routeAllMessagesViaOnPremises: false,
        cloudServicesMailEnabled: true,
      },
    ]);
    expect(exo.acceptedDomains).toEqual([{ name: "contoso.com", domainName: "contoso.com", domainType: "Authoritative" }]);
    expect(exo.remoteDomains).toEqual([]);
  });
});

describe("parseInventory of a state document", () => {
  const inventory = parseInventory(fullDocument(), { source: "state.json" });

  it("is an inventory of its receive connectors and allowlists", () => {
    expect(inventory.tenant).toBe("contoso.onmicrosoft.com");
    expect(inventory.receiveConnectors.map((c) => c.identity)).toEqual(["EX01\\Default Frontend EX01", "EX02\\Inbound from Office 365"]);
    expect(inventory.allowlists.map((a) => a.name)).toEqual(["edge-fw smtp-in"]);
    expect(inventory.allowlists[0]?.entries).toEqual(["40.92.0.0/15", "2a01:111:f400::/48"]);
  });

  it("fills each hybrid receive connector's RemoteIPRanges from the inventory's parse", () => {
    const [frontend, inbound] = inventory.hybrid!.onPremises!.receiveConnectors!;
    expect(frontend?.remoteIPRanges).toEqual(frontendRanges.map((r) => r.Expression));
    expect(inbound?.remoteIPRanges).toEqual(["192.0.2.0/24", "198.51.100.10"]);
    expect(frontend?.tlsCertificateName).toEqual(NAMED);
  });

  it("keeps the rest of the hybrid state as readStateDocument reads it", () => {
    const read = readStateDocument(fullDocument(), "state.json").hybrid;
    expect(inventory.hybrid?.exchangeOnline).toEqual(read.exchangeOnline);
    expect(inventory.hybrid?.onPremises?.sendConnectors).toEqual(read.onPremises?.sendConnectors);
    expect(inventory.hybrid?.onPremises?.exchangeCertificates).toEqual(read.onPremises?.exchangeCertificates);
  });
});

describe("every part of a state document is optional", () => {
  const base = { tenant: "contoso.onmicrosoft.com", collectedAt: "2026-11-21T05:00:00Z" };

  it("parses a document with only Exchange Online", () => {
    const exchangeOnline = { inboundConnectors: fullDocument().exchangeOnline.inboundConnectors };
    const inventory = parseInventory({ ...base, exchangeOnline }, { source: "state.json" });
    expect(inventory.receiveConnectors).toEqual([]);
    expect(inventory.allowlists).toEqual([]);
    expect(inventory.hybrid?.onPremises).toBeUndefined();
    expect(inventory.hybrid?.exchangeOnline?.inboundConnectors?.map((c) => c.name)).toEqual(["Inbound from a7d3c9e2-5f14-4b86-9e0a-3c71d8b2f645"]);
    expect(inventory.hybrid?.exchangeOnline?.outboundConnectors).toBeUndefined();
  });

  it("parses a document with only certificates, leaving the other lists absent rather than empty", () => {
    const onPremises = { exchangeCertificates: [fullDocument().onPremises.exchangeCertificates[0]] };
    const inventory = parseInventory({ ...base, onPremises }, { source: "state.json" });
    expect(inventory.hybrid?.onPremises?.exchangeCertificates?.map((c) => c.thumbprint)).toEqual([leaf.thumbprint]);
    // Absent means "not collected": a rule that needs a list is skipped, not run on nothing.
    expect(inventory.hybrid?.onPremises?.receiveConnectors).toBeUndefined();
    expect(inventory.hybrid?.onPremises?.sendConnectors).toBeUndefined();
    expect(inventory.hybrid?.exchangeOnline).toBeUndefined();
  });

  it("parses a document with no targets and no sides at all", () => {
    const inventory = parseInventory(base, { source: "state.json" });
    expect(inventory.receiveConnectors).toEqual([]);
    expect(inventory.allowlists).toEqual([]);
    expect(inventory.hybrid).toEqual({ collectedAt: "2026-11-21T05:00:00.000Z", onPremises: undefined, exchangeOnline: undefined });
  });

  it("reads a connector without a TlsCertificateName property as naming no certificate", () => {
    const doc = fullDocument();
    const { TlsCertificateName: _, ...withoutName } = doc.onPremises.sendConnectors[0]!;
    const read = readStateDocument({ ...base, onPremises: { sendConnectors: [withoutName] } }, "state.json");
    expect(read.hybrid.onPremises?.sendConnectors?.[0]?.tlsCertificateName).toBeUndefined();
    expect(read.hybrid.onPremises?.sendConnectors?.[0]?.tlsAuthLevel).toBe("DomainValidation");
  });

  it("still refuses a plain inventory with no targets", () => {
    const error = inputError(() =>
      parseInventory({ tenant: "contoso.onmicrosoft.com", receiveConnectors: [], allowlists: [] }, { source: "inventory.json" }),
    );
    expect(error.message).toBe("inventory.json: lists no receive connectors and no allowlists: there is nothing to check");
  });
});

describe("errors name the file, the place and what was expected, on one line", () => {
  it("a TlsCertificateName that is not <I>…<S>…", () => {
    const doc = fullDocument();
    doc.onPremises.sendConnectors[1]!.TlsCertificateName = { CertificateIssuer: ISSUER } as never;
    expectOneLine(
      inputError(() => readStateDocument(doc, "state.json")),
      "onPremises.sendConnectors[1].TlsCertificateName",
      /has no CertificateSubject/,
    );

    const other = fullDocument();
    other.onPremises.hybridConfiguration.TlsCertificateName = SUBJECT;
    expectOneLine(
      inputError(() => readStateDocument(other, "state.json")),
      "onPremises.hybridConfiguration.TlsCertificateName",
      /is not a certificate name: expected "<I>\{issuer\}<S>\{subject\}"/,
    );
  });

  it("an egress address or a send connector's SourceIPAddress that is not an address", () => {
    const doc = { ...fullDocument(), egressAddresses: ["203.0.113.25", "mail.contoso.com"] };
    expectOneLine(
      inputError(() => readStateDocument(doc, "state.json")),
      "egressAddresses[1]",
      /^expected an IP address$/,
    );
    const other = fullDocument();
    (other.onPremises.sendConnectors[0] as Record<string, unknown>).SourceIPAddress = "0.0.0.0/0";
    expectOneLine(
      inputError(() => readStateDocument(other, "state.json")),
      "onPremises.sendConnectors[0].SourceIPAddress",
      /^expected an IP address$/,
    );
  });

  it("a receive connector's bad TlsCertificateName, placed in the document", () => {
    const doc = fullDocument();
    doc.onPremises.receiveConnectors[1]!.TlsCertificateName = "mail.contoso.com" as never;
    const error = inputError(() => parseInventory(doc, { source: "state.json" }));
    expectOneLine(error, "onPremises.receiveConnectors[1].TlsCertificateName", /^"mail\.contoso\.com" is not a certificate name/);
  });

  it("an unknown DomainType, by name or by number", () => {
    const expected = "expected Authoritative, ExternalRelay, InternalRelay, or their numbers";
    const doc = fullDocument();
    doc.onPremises.acceptedDomains[1]!.DomainType = "Relay";
    expectOneLine(
      inputError(() => readStateDocument(doc, "state.json")),
      "onPremises.acceptedDomains[1].DomainType",
      `"Relay" is not a value of AcceptedDomainType: ${expected}`,
    );
    doc.onPremises.acceptedDomains[1]!.DomainType = 7;
    expectOneLine(
      inputError(() => readStateDocument(doc, "state.json")),
      "onPremises.acceptedDomains[1].DomainType",
      `7 is not a value of AcceptedDomainType: ${expected}`,
    );
  });

  it("a send or receive connector without Identity or Name", () => {
    const doc = fullDocument();
    const { Name: _, ...nameless } = doc.onPremises.sendConnectors[1]!;
    const withNameless = { ...doc, onPremises: { ...doc.onPremises, sendConnectors: [doc.onPremises.sendConnectors[0], nameless] } };
    expectOneLine(
      inputError(() => readStateDocument(withNameless, "state.json")),
      "onPremises.sendConnectors[1]",
      "has no Identity or Name",
    );

    const { Name: __, ...namelessReceive } = doc.onPremises.receiveConnectors[1]!;
    const withNamelessReceive = { ...doc, onPremises: { ...doc.onPremises, receiveConnectors: [namelessReceive] } };
    expectOneLine(
      inputError(() => readStateDocument(withNamelessReceive, "state.json")),
      "onPremises.receiveConnectors[0]",
      "has no Identity or Name",
    );
  });

  it("a collectedAt that is no ISO 8601 time", () => {
    for (const collectedAt of ["21/11/2026 05:00", "2026-11-21", 1795237200000]) {
      const error = inputError(() => parseInventory({ ...fullDocument(), collectedAt }, { source: "state.json" }));
      expectOneLine(error, "collectedAt", "expected when it was collected, an ISO 8601 time such as 2026-12-01T05:00:00Z");
    }
  });

  it("an unknown key, at the top or in a side", () => {
    const typo = inputError(() => readStateDocument({ ...fullDocument(), onPremise: {} }, "state.json"));
    expect(typo.message).toBe('state.json: has an unknown key "onPremise" (a typo?)');
    const doc = fullDocument();
    const inSide = inputError(() => readStateDocument({ ...doc, exchangeOnline: { ...doc.exchangeOnline, inboundConnector: [] } }, "state.json"));
    expectOneLine(inSide, "exchangeOnline", 'has an unknown key "inboundConnector" (a typo?)');
  });

  it("a receive connector with a bad RemoteIPRanges entry", () => {
    const doc = fullDocument();
    doc.onPremises.receiveConnectors[1]!.RemoteIPRanges = ["192.0.2.0/24", "198.51.100.300"];
    const error = inputError(() => parseInventory(doc, { source: "state.json" }));
    expectOneLine(error, "onPremises.receiveConnectors[1].RemoteIPRanges[1]", /^"198\.51\.100\.300" /);
  });

  it("a bad certificate, naming the certificate's field", () => {
    const doc = fullDocument();
    doc.onPremises.exchangeCertificates[0]!.RawData = "not base64!";
    expectOneLine(
      inputError(() => readStateDocument(doc, "state.json")),
      "onPremises.exchangeCertificates[0].RawData",
      /expected the certificate's DER/,
    );
  });
});

describe("text that would reach scripts and reports is checked as it is read", () => {
  it("refuses names, hosts and lines with controls, bidirectional or invisible characters, naming the field", () => {
    const cases: [place: (doc: ReturnType<typeof fullDocument>) => void, path: string][] = [
      [
        (doc) => Object.assign(doc.onPremises.sendConnectors[0]!, { Identity: "Outbound to Office 365\u202E", Name: "x" }),
        "onPremises.sendConnectors[0].Identity",
      ],
      [(doc) => (doc.onPremises.sendConnectors[0]!.SmartHosts = ["relay\u00ad.contoso.com"]), "onPremises.sendConnectors[0].SmartHosts[0]"],
      [
        (doc) => Object.assign(doc.exchangeOnline.inboundConnectors[0]!, { TlsSenderCertificateName: "mail.\u202econtoso.com" }),
        "exchangeOnline.inboundConnectors[0].TlsSenderCertificateName",
      ],
      [
        (doc) => Object.assign(doc, { notCollected: [{ part: "onPremises", reason: "x\n\nAll certificates are fine.\u001b[2J" }] }),
        "notCollected[0].reason",
      ],
    ];
    for (const [place, path] of cases) {
      const doc = fullDocument();
      place(doc);
      expectOneLine(
        inputError(() => readStateDocument(doc, "state.json")),
        path,
        /must not contain control, bidirectional or zero-width characters/,
      );
    }
  });

  it("refuses a certificate name with <I> or <S> inside its parts, which could not be written back", () => {
    const doc = fullDocument();
    doc.onPremises.receiveConnectors[1]!.TlsCertificateName = "<I>CN=Partner CA<S>CN=x, O=<S>trange" as never;
    expectOneLine(
      inputError(() => readStateDocument(doc, "state.json")),
      "onPremises.receiveConnectors[1].TlsCertificateName",
      /has <I> or <S> inside/,
    );
  });
});

describe("private keys are refused anywhere in a document", () => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
  const pkcs8 = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const encrypted = privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "test" }).toString();
  const rsa = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const detail = /^carries a private key; a state document must never hold one/;

  it("knows the three PEM kinds it looks for", () => {
    // The test is only as good as its keys: they must carry the headers it names.
    expect(pkcs8).toContain("-----BEGIN PRIVATE KEY-----");
    expect(encrypted).toContain("-----BEGIN ENCRYPTED PRIVATE KEY-----");
    expect(rsa).toContain("-----BEGIN RSA PRIVATE KEY-----");
  });

  it("refuses a PEM private key in any string, naming where", () => {
    const cases: [pem: string, place: (doc: ReturnType<typeof fullDocument>, pem: string) => unknown, path: string][] = [
      [pkcs8, (doc, pem) => Object.assign(doc.onPremises.exchangeCertificates[0]!, { Comment: pem }), "onPremises.exchangeCertificates[0].Comment"],
      [
        encrypted,
        (doc, pem) => (doc.onPremises.receiveConnectors[1]!.RemoteIPRanges = ["192.0.2.0/24", pem]),
        "onPremises.receiveConnectors[1].RemoteIPRanges[1]",
      ],
      [
        rsa,
        (doc, pem) => Object.assign(doc.exchangeOnline.inboundConnectors[0]!, { Comment: `key follows\r\n${pem}` }),
        "exchangeOnline.inboundConnectors[0].Comment",
      ],
      [pkcs8, (doc, pem) => (doc.allowlists[0]!.name = pem), "allowlists[0].name"],
    ];
    for (const [pem, place, path] of cases) {
      const doc = fullDocument();
      place(doc, pem);
      expectOneLine(
        inputError(() => readStateDocument(doc, "state.json")),
        path,
        detail,
      );
      // The inventory's parser goes through the same door.
      expect(inputError(() => parseInventory(doc, { source: "state.json" })).path).toBe(path);
    }
  });

  it("refuses a PrivateKey or Pfx property with a value", () => {
    for (const [key, value] of [
      ["PrivateKey", pkcs8],
      ["PrivateKey", { Key: "x" }],
      ["Pfx", "MIIKBAIBAzCCCcoGCSqGSIb3DQEHAaCCCbsEggm3"],
      ["pfx", [48, 130]],
    ] as const) {
      const doc = fullDocument();
      Object.assign(doc.onPremises.exchangeCertificates[1]!, { [key]: value });
      expectOneLine(
        inputError(() => readStateDocument(doc, "state.json")),
        `onPremises.exchangeCertificates[1].${key}`,
        detail,
      );
    }
  });

  it("lets facts about the key through: HasPrivateKey, PrivateKeyExportable, an empty PrivateKey", () => {
    const doc = fullDocument();
    Object.assign(doc.onPremises.exchangeCertificates[1]!, { HasPrivateKey: true, PrivateKeyExportable: false, PrivateKey: null, Pfx: "" });
    expect(readStateDocument(doc, "state.json").hybrid.onPremises?.exchangeCertificates).toHaveLength(2);
  });

  it("refuses nesting deeper than it searches, rather than letting a key through unread", () => {
    let deep: unknown = pkcs8;
    for (let i = 0; i < 20; i++) deep = { Inner: deep };
    const doc = fullDocument();
    Object.assign(doc.onPremises.sendConnectors[0]!, { Extra: deep });
    const error = inputError(() => readStateDocument(doc, "state.json"));
    expect(error.message).not.toMatch(/[\r\n]/);
    expect(error.path?.startsWith("onPremises.sendConnectors[0].Extra.Inner")).toBe(true);
  });
});

describe("the shipped examples", () => {
  const load = (name: string) => {
    const url = new URL(`../../examples/hybrid/${name}`, import.meta.url);
    return parseInventory(parseJson(readFileSync(url, "utf8"), name), { source: name });
  };
  const before = load("state-before-renewal.json");
  const after = load("state-after-renewal.json");

  /** Every certificate name the on-premises side uses: receive and send connectors and the hybrid configuration. */
  const namedCertificates = (inventory: typeof before): CertificateName[] => {
    const onPremises = inventory.hybrid?.onPremises;
    return [
      ...(onPremises?.receiveConnectors ?? []).map((c) => c.tlsCertificateName),
      ...(onPremises?.sendConnectors ?? []).map((c) => c.tlsCertificateName),
      onPremises?.hybridConfiguration?.tlsCertificateName,
    ].filter((n): n is CertificateName => n !== undefined);
  };
  const installed = (inventory: typeof before) => inventory.hybrid?.onPremises?.exchangeCertificates ?? [];

  it("parse, with both sides and certificates read from RawData", () => {
    for (const inventory of [before, after]) {
      expect(inventory.hybrid?.onPremises).toBeDefined();
      expect(inventory.hybrid?.exchangeOnline?.inboundConnectors?.length).toBeGreaterThan(0);
      expect(installed(inventory).length).toBeGreaterThan(0);
      for (const certificate of installed(inventory)) expect(certificate.fromRawData).toBe(true);
      // The receive connectors' ranges made it through the inventory's parser.
      for (const c of inventory.hybrid?.onPremises?.receiveConnectors ?? []) expect(c.remoteIPRanges.length).toBeGreaterThan(0);
    }
  });

  it("before the renewal, every certificate a connector names is installed", () => {
    const names = namedCertificates(before);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      expect(installed(before).some((c) => sameName(c.issuer, name.issuer) && sameName(c.subject, name.subject))).toBe(true);
    }
  });

  it("after the renewal, the installed certificates of the named subject have another issuer than the connectors name", () => {
    const names = namedCertificates(after);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      const sameSubject = installed(after).filter((c) => sameName(c.subject, name.subject));
      // The renewed certificate is there, under the same subject...
      expect(sameSubject.length).toBeGreaterThan(0);
      // ...but from a new intermediate, so nothing matches what the connectors name.
      for (const c of sameSubject) expect(sameName(c.issuer, name.issuer)).toBe(false);
    }
  });
});
