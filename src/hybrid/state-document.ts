import { z } from "zod";
import { InputError } from "../errors.js";
import { probeResultSchema } from "../probe/probe-result.js";
import { validate } from "../validation.js";
import { readCertificate } from "./certificate.js";
import type {
  AcceptedDomainState,
  CertificateName,
  CertificateState,
  ExchangeOnlineState,
  HybridConfigurationState,
  HybridState,
  InboundConnectorState,
  OnPremisesState,
  OutboundConnectorState,
  ReceiveConnectorState,
  RemoteDomainState,
  SendConnectorState,
} from "./hybrid-state.js";
import {
  listItems,
  psAddressSpace,
  psBindingPort,
  psBool,
  psDomainCapabilities,
  psEnum,
  psHost,
  psIpAddress,
  psList,
  psName,
} from "./powershell-json.js";
import { refusePrivateKeys } from "./private-keys.js";
import { parseTlsCertificateName } from "./x500-name.js";

/**
 * The on-prem state document the collector writes, one per tenant:
 * `{"tenant","instance","collectedAt","onPremises":{…},"exchangeOnline":{…},"allowlists":[…]}`,
 * each list holding the cmdlets' objects as `ConvertTo-Json -Depth 6`
 * writes them (collector/Collect-MailflowState.ps1). Every part is optional.
 * It never carries a private key: a document with one is refused whole.
 */

const TLS_AUTH_LEVELS = ["EncryptionOnly", "CertificateValidation", "DomainValidation"] as const;
// Microsoft.Exchange.Data.TlsAuthLevel: EncryptionOnly = 1, CertificateValidation = 2, DomainValidation = 4.
const TLS_AUTH_LEVEL_NUMBERS = { 1: "EncryptionOnly", 2: "CertificateValidation", 4: "DomainValidation" };
const DOMAIN_TYPES = ["Authoritative", "ExternalRelay", "InternalRelay"] as const;
// Microsoft.Exchange.Data.Directory.SystemConfiguration.AcceptedDomainType, in declaration order.
const DOMAIN_TYPE_NUMBERS = { 0: "Authoritative", 1: "ExternalRelay", 2: "InternalRelay" };
const CONNECTOR_TYPES = ["OnPremises", "Partner"] as const;
// The admin endpoint and remote sessions give names; no number is known for certain, so none is taken.
const CONNECTOR_TYPE_NUMBERS = {};

/** One value of an enum (the first of a flags value). */
const one = (names: readonly string[], numbers: Record<number, string>) => psEnum(names, numbers).transform((v) => v[0]);

/** Words of a flags property kept as Exchange names them (`"Tls, Integrated"`, or an array). */
const words = z
  .preprocess(
    (v) => (typeof v === "string" ? v.split(",") : listItems(v)),
    z.array(z.union([z.string(), z.number()]).transform((w) => String(w).trim())),
  )
  .transform((w) => w.filter(Boolean));

/** Null, absent or empty is no certificate named; otherwise `<I>…<S>…` or the serialised SmtpX509Identifier. */
const tlsCertificateName = z
  .unknown()
  .transform((v, ctx): CertificateName | undefined => {
    if (v === null || v === undefined || v === "") return undefined;
    try {
      return parseTlsCertificateName(v);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: error instanceof InputError ? error.detail : String(error) });
      return z.NEVER;
    }
  })
  // A transform alone makes the key required in zod 4: an object without the property would be refused.
  .optional();

const optionalHost = z.preprocess((v) => (v === null || v === "" ? undefined : v), psHost.optional());
const bool = (fallback: boolean) => z.preprocess((v) => (v === null ? undefined : v), psBool.optional()).transform((b) => b ?? fallback);

function identityOf(c: { Identity?: string | undefined; Name?: string | undefined; Server?: string | undefined }): string | undefined {
  if (c.Identity?.includes("\\")) return c.Identity;
  if (c.Server && c.Name) return `${c.Server}\\${c.Name}`;
  return c.Identity ?? c.Name;
}

const named = { Identity: psName.optional(), Name: psName.optional() };

const rawReceiveConnector = z
  .looseObject({
    ...named,
    Server: psName.optional(),
    Bindings: psList(psBindingPort).default([]),
    Enabled: bool(true),
    TransportRole: z.string().nullish(),
    TlsCertificateName: tlsCertificateName,
    TlsDomainCapabilities: psList(psDomainCapabilities).default([]),
    RemoteIPRanges: z.unknown(),
    PermissionGroups: words.default([]),
    AuthMechanism: words.default([]),
  })
  .transform((c, ctx): Omit<ReceiveConnectorState, "remoteIPRanges"> => {
    const identity = identityOf(c);
    if (identity === undefined) ctx.addIssue({ code: "custom", message: "has no Identity or Name" });
    return {
      identity: identity ?? "",
      server: c.Server,
      ports: [...new Set(c.Bindings)],
      enabled: c.Enabled,
      transportRole: c.TransportRole ?? undefined,
      tlsCertificateName: c.TlsCertificateName,
      tlsDomainCapabilities: c.TlsDomainCapabilities,
      permissionGroups: c.PermissionGroups,
      authMechanism: c.AuthMechanism,
    };
  });

const rawSendConnector = z
  .looseObject({
    ...named,
    Enabled: bool(true),
    AddressSpaces: psList(psAddressSpace).default([]),
    SmartHosts: psList(psHost).default([]),
    DNSRoutingEnabled: bool(true),
    TlsCertificateName: tlsCertificateName,
    TlsAuthLevel: z.preprocess((v) => (v === null ? undefined : v), one(TLS_AUTH_LEVELS, TLS_AUTH_LEVEL_NUMBERS).optional()),
    TlsDomain: optionalHost,
    RequireTLS: bool(false),
    CloudServicesMailEnabled: bool(false),
    SourceTransportServers: psList(psName).default([]),
    SourceIPAddress: z.preprocess((v) => (v === null || v === "" ? undefined : v), psIpAddress.optional()),
    Fqdn: optionalHost,
  })
  .transform(
    (c): SendConnectorState => ({
      identity: c.Identity ?? c.Name ?? "",
      enabled: c.Enabled,
      addressSpaces: c.AddressSpaces,
      smartHosts: c.SmartHosts,
      dnsRoutingEnabled: c.DNSRoutingEnabled,
      tlsCertificateName: c.TlsCertificateName,
      tlsAuthLevel: c.TlsAuthLevel,
      tlsDomain: c.TlsDomain,
      requireTls: c.RequireTLS,
      cloudServicesMailEnabled: c.CloudServicesMailEnabled,
      sourceTransportServers: c.SourceTransportServers,
      sourceIPAddress: c.SourceIPAddress,
      fqdn: c.Fqdn,
    }),
  )
  .refine((c) => c.identity !== "", { message: "has no Identity or Name" });

const rawCertificate = z.unknown().transform((v, ctx): CertificateState => {
  try {
    const cert = readCertificate(v);
    const o = v as Record<string, unknown>;
    const identity = typeof o.Identity === "string" ? o.Identity : undefined;
    const server = typeof o.Server === "string" ? o.Server : identity?.includes("\\") ? identity.slice(0, identity.indexOf("\\")) : undefined;
    return {
      server,
      thumbprint: cert.thumbprint,
      subject: cert.subject,
      issuer: cert.issuer,
      notBefore: cert.notBefore?.toISOString(),
      notAfter: cert.notAfter.toISOString(),
      names: cert.names,
      services: cert.services,
      fromRawData: cert.fromRawData,
    };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    ctx.addIssue({ code: "custom", message: error.detail, path: error.path ? [error.path] : [] });
    return z.NEVER;
  }
});

const rawAcceptedDomain = z
  .looseObject({ ...named, DomainName: psHost, DomainType: one(DOMAIN_TYPES, DOMAIN_TYPE_NUMBERS) })
  .transform((d): AcceptedDomainState => ({ name: d.Name ?? d.Identity ?? d.DomainName, domainName: d.DomainName, domainType: d.DomainType ?? "" }));

const rawRemoteDomain = z
  .looseObject({ ...named, DomainName: psHost, TargetDeliveryDomain: bool(false), TrustedMailInboundEnabled: bool(false) })
  .transform(
    (d): RemoteDomainState => ({
      name: d.Name ?? d.Identity ?? d.DomainName,
      domainName: d.DomainName,
      targetDeliveryDomain: d.TargetDeliveryDomain,
      trustedMailInboundEnabled: d.TrustedMailInboundEnabled,
    }),
  );

const rawHybridConfiguration = z
  .looseObject({
    OnPremisesSmartHost: optionalHost,
    Domains: psList(psHost).default([]),
    TlsCertificateName: tlsCertificateName,
    SendingTransportServers: psList(psName).default([]),
    ReceivingTransportServers: psList(psName).default([]),
    Features: words.default([]),
  })
  .transform(
    (h): HybridConfigurationState => ({
      onPremisesSmartHost: h.OnPremisesSmartHost,
      domains: h.Domains,
      tlsCertificateName: h.TlsCertificateName,
      sendingTransportServers: h.SendingTransportServers,
      receivingTransportServers: h.ReceivingTransportServers,
      features: h.Features,
    }),
  );

const rawInboundConnector = z
  .looseObject({
    ...named,
    Enabled: bool(true),
    ConnectorType: one(CONNECTOR_TYPES, CONNECTOR_TYPE_NUMBERS),
    TlsSenderCertificateName: z.preprocess((v) => (v === null || v === "" ? undefined : v), z.string().trim().toLowerCase().optional()),
    RequireTls: bool(false),
    SenderIPAddresses: psList(z.string()).default([]),
    SenderDomains: psList(z.string()).default([]),
    CloudServicesMailEnabled: bool(false),
    ConnectorSource: z.string().nullish(),
  })
  .transform(
    (c): InboundConnectorState => ({
      name: c.Name ?? c.Identity ?? "",
      enabled: c.Enabled,
      connectorType: c.ConnectorType ?? "",
      tlsSenderCertificateName: c.TlsSenderCertificateName,
      requireTls: c.RequireTls,
      senderIPAddresses: c.SenderIPAddresses,
      senderDomains: c.SenderDomains,
      cloudServicesMailEnabled: c.CloudServicesMailEnabled,
      connectorSource: c.ConnectorSource ?? undefined,
    }),
  )
  .refine((c) => c.name !== "", { message: "has no Name or Identity" });

const rawOutboundConnector = z
  .looseObject({
    ...named,
    Enabled: bool(true),
    ConnectorType: one(CONNECTOR_TYPES, CONNECTOR_TYPE_NUMBERS),
    SmartHosts: psList(psHost).default([]),
    UseMXRecord: bool(false),
    TlsSettings: z.preprocess((v) => (v === null ? undefined : v), one(TLS_AUTH_LEVELS, TLS_AUTH_LEVEL_NUMBERS).optional()),
    TlsDomain: optionalHost,
    RecipientDomains: psList(psHost).default([]),
    RouteAllMessagesViaOnPremises: bool(false),
    CloudServicesMailEnabled: bool(false),
  })
  .transform(
    (c): OutboundConnectorState => ({
      name: c.Name ?? c.Identity ?? "",
      enabled: c.Enabled,
      connectorType: c.ConnectorType ?? "",
      smartHosts: c.SmartHosts,
      useMXRecord: c.UseMXRecord,
      tlsSettings: c.TlsSettings,
      tlsDomain: c.TlsDomain,
      recipientDomains: c.RecipientDomains,
      routeAllMessagesViaOnPremises: c.RouteAllMessagesViaOnPremises,
      cloudServicesMailEnabled: c.CloudServicesMailEnabled,
    }),
  )
  .refine((c) => c.name !== "", { message: "has no Name or Identity" });

const rawOnPremises = z.strictObject({
  receiveConnectors: z.unknown().optional(),
  sendConnectors: psList(rawSendConnector).optional(),
  exchangeCertificates: psList(rawCertificate).optional(),
  acceptedDomains: psList(rawAcceptedDomain).optional(),
  remoteDomains: psList(rawRemoteDomain).optional(),
  // One object, or a one-item list in any of the list shapes (5.1's {"value":[…]} too).
  hybridConfiguration: z.preprocess((v) => listItems(v)[0], rawHybridConfiguration.optional()),
});

/** The Exchange Online lists, from the document or from the admin endpoint; both give the cmdlets' objects. */
export const rawExchangeOnlineSchema = z.strictObject({
  inboundConnectors: psList(rawInboundConnector).optional(),
  outboundConnectors: psList(rawOutboundConnector).optional(),
  acceptedDomains: psList(rawAcceptedDomain).optional(),
  remoteDomains: psList(rawRemoteDomain).optional(),
});

/** The document's own fields; the receive connectors and allowlists go on to the inventory's parser, unchanged. */
export const stateDocumentSchema = z.strictObject({
  tenant: z.string(),
  instance: z.string().optional(),
  collectedAt: z.iso.datetime({ offset: true, message: "expected when it was collected, an ISO 8601 time such as 2026-12-01T05:00:00Z" }),
  checkConnectors: z.array(z.string()).optional(),
  onPremises: rawOnPremises.optional(),
  exchangeOnline: rawExchangeOnlineSchema.optional(),
  allowlists: z.array(z.unknown()).optional(),
  /** What `mailflow-guard probe --json` wrote, run from where port 25 can leave. */
  probes: z.array(probeResultSchema).optional(),
  /** The public addresses the organisation's mail leaves from (behind NAT the send connectors cannot tell). */
  egressAddresses: z.array(psIpAddress).optional(),
});

/** Whether a JSON document is a state document rather than an inventory: it says when it was collected and carries a side. */
export function isStateDocument(data: unknown): boolean {
  return typeof data === "object" && data !== null && !Array.isArray(data) && "collectedAt" in data;
}

/**
 * The document's hybrid state, normalised, and the raw receive connectors
 * (for the inventory's RemoteIPRanges parser, which names each bad entry).
 * Receive connectors are read for both: their certificate names and
 * capabilities here, their ranges by the inventory.
 */
export function readStateDocument(data: unknown, source: string): { hybrid: HybridState; receiveConnectors: unknown[]; allowlists: unknown[] } {
  refusePrivateKeys(data, source);
  const doc = validate(stateDocumentSchema, data, source);
  const rawReceive = listItems(doc.onPremises?.receiveConnectors);
  const receiveConnectors = rawReceive.map((item, i) => {
    const path = `onPremises.receiveConnectors[${i}]`;
    let c: z.output<typeof rawReceiveConnector>;
    try {
      c = validate(rawReceiveConnector, item, source);
    } catch (error) {
      // Validated alone, the connector's errors would name only its own property: place them in the document.
      throw error instanceof InputError ? error.at({ path }) : error;
    }
    if (c.identity === "") throw new InputError("has no Identity or Name", { source, path });
    return c;
  });
  const onPremises: OnPremisesState | undefined = doc.onPremises && {
    ...(doc.onPremises.receiveConnectors !== undefined ? { receiveConnectors: receiveConnectors.map((c) => ({ ...c, remoteIPRanges: [] })) } : {}),
    sendConnectors: doc.onPremises.sendConnectors,
    exchangeCertificates: doc.onPremises.exchangeCertificates,
    acceptedDomains: doc.onPremises.acceptedDomains,
    remoteDomains: doc.onPremises.remoteDomains,
    hybridConfiguration: doc.onPremises.hybridConfiguration,
  };
  const exchangeOnline: ExchangeOnlineState | undefined = doc.exchangeOnline && { ...doc.exchangeOnline, source: "document" };
  return {
    hybrid: {
      collectedAt: new Date(doc.collectedAt).toISOString(),
      onPremises,
      exchangeOnline,
      probes: doc.probes,
      egressAddresses: doc.egressAddresses,
    },
    receiveConnectors: rawReceive,
    allowlists: doc.allowlists ?? [],
  };
}

/** Exchange Online's lists as the admin endpoint returns them, normalised like the document's. */
export function readExchangeOnline(lists: z.input<typeof rawExchangeOnlineSchema>, source: string): ExchangeOnlineState {
  return { ...validate(rawExchangeOnlineSchema, lists, source), source: "admin-api" };
}
