import { z } from "zod";
import { InputError } from "../errors.js";
import { probeResultSchema } from "../probe/probe-result.js";
import { HYBRID_FEATURE, PERMISSION_GROUPS, RECEIVE_AUTH_MECHANISMS, SERVER_ROLE, TLS_AUTH_LEVEL } from "../serialised/enums.js";
import { refusePrivateKeys } from "../serialised/private-keys.js";
import {
  identityOf,
  listItems,
  psAddressSpace,
  psBindingPort,
  psDomainCapabilities,
  psEnum,
  psEnumValue,
  psHost,
  psIpAddress,
  psList,
  psName,
} from "../serialised/values.js";
import { validate } from "../validation.js";
import { readCertificate } from "./certificate.js";
import { bool, named, optionalHost, rawAcceptedDomain, rawRemoteDomain, tlsCertificateName } from "./exchange-fields.js";
import { rawExchangeOnlineSchema } from "./exchange-online-objects.js";
import {
  type CertificateState,
  type ExchangeOnlineState,
  type HybridConfigurationState,
  type HybridState,
  notCollectedSchema,
  type OnPremisesState,
  type ReceiveConnectorState,
  type SendConnectorState,
} from "./hybrid-state.js";

/**
 * The on-prem state document the collector writes, one per tenant:
 * `{"tenant","instance","collectedAt","onPremises":{…},"exchangeOnline":{…},"allowlists":[…]}`,
 * each list holding the cmdlets' objects as `ConvertTo-Json -Depth 6`
 * writes them (collector/Collect-MailflowState.ps1). Every part is optional.
 * It never carries a private key: a document with one is refused whole.
 */

const rawReceiveConnector = z
  .looseObject({
    ...named,
    Server: psName.optional(),
    Bindings: psList(psBindingPort, { joined: true }).default([]),
    Enabled: bool(true),
    TransportRole: z.preprocess((v) => (v === null ? undefined : v), psEnum(SERVER_ROLE).optional()),
    TlsCertificateName: tlsCertificateName,
    TlsDomainCapabilities: psList(psDomainCapabilities).default([]),
    RemoteIPRanges: z.unknown(),
    PermissionGroups: z.preprocess((v) => (v === null ? undefined : v), psEnum(PERMISSION_GROUPS).optional()),
    AuthMechanism: z.preprocess((v) => (v === null ? undefined : v), psEnum(RECEIVE_AUTH_MECHANISMS).optional()),
  })
  .transform((c, ctx): Omit<ReceiveConnectorState, "remoteIPRanges"> => {
    const identity = identityOf(c);
    if (identity === undefined) ctx.addIssue({ code: "custom", message: "has no Identity or Name" });
    return {
      identity: identity ?? "",
      server: c.Server,
      ports: [...new Set(c.Bindings)],
      enabled: c.Enabled,
      transportRole: c.TransportRole?.join(", "),
      tlsCertificateName: c.TlsCertificateName,
      tlsDomainCapabilities: c.TlsDomainCapabilities,
      permissionGroups: c.PermissionGroups ?? [],
      authMechanism: c.AuthMechanism ?? [],
    };
  });

const rawSendConnector = z
  .looseObject({
    ...named,
    Enabled: bool(true),
    AddressSpaces: psList(psAddressSpace, { joined: true }).default([]),
    SmartHosts: psList(psHost, { joined: true }).default([]),
    DNSRoutingEnabled: bool(true),
    TlsCertificateName: tlsCertificateName,
    TlsAuthLevel: z.preprocess((v) => (v === null ? undefined : v), psEnumValue(TLS_AUTH_LEVEL).optional()),
    TlsDomain: optionalHost,
    RequireTLS: bool(false),
    CloudServicesMailEnabled: bool(false),
    SourceTransportServers: psList(psName, { joined: true }).default([]),
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
    // A certificate from a remote session without Server or Identity is the session's server's (Get-ExchangeCertificate
    // without -Server reads the server it runs on), which PSComputerName names.
    const server =
      typeof o.Server === "string"
        ? o.Server
        : identity?.includes("\\")
          ? identity.slice(0, identity.indexOf("\\"))
          : typeof o.PSComputerName === "string" && o.PSComputerName.trim() !== ""
            ? o.PSComputerName.trim()
            : undefined;
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

const rawHybridConfiguration = z
  .looseObject({
    OnPremisesSmartHost: optionalHost,
    Domains: psList(psHost, { joined: true }).default([]),
    TlsCertificateName: tlsCertificateName,
    SendingTransportServers: psList(psName, { joined: true }).default([]),
    ReceivingTransportServers: psList(psName, { joined: true }).default([]),
    EdgeTransportServers: psList(psName, { joined: true }).default([]),
    Features: psList(psEnum(HYBRID_FEATURE), { joined: true })
      .default([])
      .transform((f) => f.flat()),
  })
  .transform(
    (h): HybridConfigurationState => ({
      onPremisesSmartHost: h.OnPremisesSmartHost,
      domains: h.Domains,
      tlsCertificateName: h.TlsCertificateName,
      sendingTransportServers: h.SendingTransportServers,
      receivingTransportServers: h.ReceivingTransportServers,
      edgeTransportServers: h.EdgeTransportServers,
      features: h.Features,
    }),
  );

const rawOnPremises = z.strictObject({
  receiveConnectors: z.unknown().optional(),
  sendConnectors: psList(rawSendConnector).optional(),
  exchangeCertificates: psList(rawCertificate).optional(),
  acceptedDomains: psList(rawAcceptedDomain).optional(),
  remoteDomains: psList(rawRemoteDomain).optional(),
  // One object, or a one-item list in any of the list shapes (5.1's {"value":[…]} too); null or [] when there is none.
  hybridConfiguration: z.preprocess((v) => (v === undefined ? v : (listItems(v)[0] ?? null)), rawHybridConfiguration.nullable().optional()),
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
  /** What the collector could not read (a server it could not reach, a cmdlet that failed), and why. */
  notCollected: psList(notCollectedSchema).optional(),
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
      ...(doc.notCollected && doc.notCollected.length > 0 ? { notCollected: doc.notCollected } : {}),
      onPremises,
      exchangeOnline,
      probes: doc.probes,
      egressAddresses: doc.egressAddresses,
    },
    receiveConnectors: rawReceive,
    allowlists: doc.allowlists ?? [],
  };
}
