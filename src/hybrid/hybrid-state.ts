import { z } from "zod";
import { probeResultSchema } from "../probe/probe-result.js";
import { safeText } from "../serialised/values.js";

/**
 * Both sides of a tenant's hybrid as the rules read them: the on-premises
 * organisation (from the collector's state document) and Exchange Online
 * (from the same document, or read live). Normalised once, when a document
 * comes in: names lower-case where Exchange compares them so, enums by name,
 * certificates read from their DER. This is what the inventory keeps; the
 * raw shapes are read in state-document.ts.
 */

const certificateName = z.object({ issuer: z.string(), subject: z.string() });
/** `<I>issuer<S>subject`, as a connector or the hybrid configuration names a certificate. */
export type CertificateName = z.infer<typeof certificateName>;

const receiveConnector = z.object({
  identity: z.string(),
  server: z.string().optional(),
  ports: z.array(z.number().int()),
  enabled: z.boolean(),
  transportRole: z.string().optional(),
  tlsCertificateName: certificateName.optional(),
  tlsDomainCapabilities: z.array(z.object({ domain: z.string(), capabilities: z.array(z.string()) })),
  /** RemoteIPRanges as Exchange shows them (the range rules read them from the inventory's receive connectors). */
  remoteIPRanges: z.array(z.string()),
  permissionGroups: z.array(z.string()),
  authMechanism: z.array(z.string()),
});

const sendConnector = z.object({
  identity: z.string(),
  enabled: z.boolean(),
  addressSpaces: z.array(z.string()),
  smartHosts: z.array(z.string()),
  dnsRoutingEnabled: z.boolean(),
  tlsCertificateName: certificateName.optional(),
  tlsAuthLevel: z.string().optional(),
  tlsDomain: z.string().optional(),
  requireTls: z.boolean(),
  cloudServicesMailEnabled: z.boolean(),
  sourceTransportServers: z.array(z.string()),
  /** The address it sends from (`0.0.0.0`: any); behind NAT, not what the Internet sees. */
  sourceIPAddress: z.string().optional(),
  fqdn: z.string().optional(),
});

const certificate = z.object({
  /** The server it is installed on, when the document says. */
  server: z.string().optional(),
  thumbprint: z.string(),
  /** Exchange's form: most specific first, `CN=mail.contoso.com, O=Contoso, C=US`. */
  subject: z.string(),
  issuer: z.string(),
  notBefore: z.iso.datetime().optional(),
  notAfter: z.iso.datetime(),
  /** DNS names: the SANs and the subject's CN, lower-case. */
  names: z.array(z.string()),
  /** Undefined when the document did not say (a certificate with only RawData): unknown, not "none". */
  services: z.array(z.string()).optional(),
  /** Read from RawData (the DER), not from the text fields. */
  fromRawData: z.boolean(),
});

const acceptedDomain = z.object({ name: z.string(), domainName: z.string(), domainType: z.string() });

const remoteDomain = z.object({
  name: z.string(),
  domainName: z.string(),
  targetDeliveryDomain: z.boolean(),
  trustedMailInboundEnabled: z.boolean(),
});

const hybridConfiguration = z.object({
  onPremisesSmartHost: z.string().optional(),
  domains: z.array(z.string()),
  tlsCertificateName: certificateName.optional(),
  sendingTransportServers: z.array(z.string()),
  receivingTransportServers: z.array(z.string()),
  /** Edge Transport servers (an Edge-based hybrid): they, not the Mailbox servers, take and send the hybrid mail. */
  edgeTransportServers: z.array(z.string()).default([]),
  features: z.array(z.string()),
});

const inboundConnector = z.object({
  name: z.string(),
  enabled: z.boolean(),
  connectorType: z.string(),
  /** A domain, `*.contoso.com` allowed. */
  tlsSenderCertificateName: z.string().optional(),
  requireTls: z.boolean(),
  senderIPAddresses: z.array(z.string()),
  senderDomains: z.array(z.string()),
  cloudServicesMailEnabled: z.boolean(),
  connectorSource: z.string().optional(),
});

const outboundConnector = z.object({
  name: z.string(),
  enabled: z.boolean(),
  connectorType: z.string(),
  smartHosts: z.array(z.string()),
  useMXRecord: z.boolean(),
  tlsSettings: z.string().optional(),
  tlsDomain: z.string().optional(),
  recipientDomains: z.array(z.string()),
  routeAllMessagesViaOnPremises: z.boolean(),
  cloudServicesMailEnabled: z.boolean(),
});

export const onPremisesStateSchema = z.object({
  receiveConnectors: z.array(receiveConnector).optional(),
  sendConnectors: z.array(sendConnector).optional(),
  exchangeCertificates: z.array(certificate).optional(),
  acceptedDomains: z.array(acceptedDomain).optional(),
  remoteDomains: z.array(remoteDomain).optional(),
  /** Null when it was read and there is none (Get-HybridConfiguration returned nothing); absent when it was not read. */
  hybridConfiguration: hybridConfiguration.nullable().optional(),
});

export const exchangeOnlineStateSchema = z.object({
  inboundConnectors: z.array(inboundConnector).optional(),
  outboundConnectors: z.array(outboundConnector).optional(),
  acceptedDomains: z.array(acceptedDomain).optional(),
  remoteDomains: z.array(remoteDomain).optional(),
  /** Where this side came from: the uploaded document, or the admin endpoint read live at the check. */
  source: z.enum(["document", "admin-api"]).default("document"),
  /** Why a live read was not used, when it failed and the document's state stands in. */
  liveReadError: z.string().optional(),
});

/** The parts of a state document the collector reads, each a cmdlet's output. */
export const STATE_PARTS = [
  "onPremises.receiveConnectors",
  "onPremises.sendConnectors",
  "onPremises.exchangeCertificates",
  "onPremises.acceptedDomains",
  "onPremises.remoteDomains",
  "onPremises.hybridConfiguration",
  "exchangeOnline.inboundConnectors",
  "exchangeOnline.outboundConnectors",
  "exchangeOnline.acceptedDomains",
  "exchangeOnline.remoteDomains",
] as const;
export type StatePart = (typeof STATE_PARTS)[number];

/** A part, or one server's share of it, that the collector could not read, and why (one line). */
const line = safeText(z.string());
export const notCollectedSchema = z.object({
  part: z.enum([...STATE_PARTS, "onPremises", "exchangeOnline"]),
  server: line.optional(),
  /** One line, as reports and the command line show it. */
  reason: line,
});
export type NotCollected = z.infer<typeof notCollectedSchema>;

/** Each part is absent when the document did not carry it: a rule that needs it is then skipped, never run on nothing. */
export const hybridStateSchema = z.object({
  collectedAt: z.iso.datetime(),
  /** What the collector says it could not read; those parts (or the servers' shares of them) are not checked. */
  notCollected: z.array(notCollectedSchema).optional(),
  onPremises: onPremisesStateSchema.optional(),
  exchangeOnline: exchangeOnlineStateSchema.optional(),
  /** STARTTLS probes run where port 25 can leave (`mailflow-guard probe --json`, uploaded with the document). */
  probes: z.array(probeResultSchema).optional(),
  /** The public addresses the organisation's mail leaves from, as the document names them. */
  egressAddresses: z.array(z.string()).optional(),
});

export type HybridState = z.infer<typeof hybridStateSchema>;
export type OnPremisesState = z.infer<typeof onPremisesStateSchema>;
export type ExchangeOnlineState = z.infer<typeof exchangeOnlineStateSchema>;
export type ReceiveConnectorState = z.infer<typeof receiveConnector>;
export type SendConnectorState = z.infer<typeof sendConnector>;
export type CertificateState = z.infer<typeof certificate>;
export type AcceptedDomainState = z.infer<typeof acceptedDomain>;
export type RemoteDomainState = z.infer<typeof remoteDomain>;
export type HybridConfigurationState = z.infer<typeof hybridConfiguration>;
export type InboundConnectorState = z.infer<typeof inboundConnector>;
export type OutboundConnectorState = z.infer<typeof outboundConnector>;
