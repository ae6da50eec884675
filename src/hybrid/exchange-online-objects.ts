import { z } from "zod";
import { TENANT_CONNECTOR_SOURCE, TENANT_CONNECTOR_TYPE, TLS_AUTH_LEVEL } from "../serialised/enums.js";
import { psEnum, psEnumValue, psHost, psList, safeText } from "../serialised/values.js";
import { validate } from "../validation.js";
import { bool, named, optionalHost, rawAcceptedDomain, rawRemoteDomain } from "./exchange-fields.js";
import type { ExchangeOnlineState, InboundConnectorState, OutboundConnectorState } from "./hybrid-state.js";

/** Exchange Online's connectors and domains as Get-InboundConnector and its kin write them, in a document or from the admin endpoint. */

const rawInboundConnector = z
  .looseObject({
    ...named,
    Enabled: bool(true),
    ConnectorType: psEnumValue(TENANT_CONNECTOR_TYPE),
    TlsSenderCertificateName: z.preprocess((v) => (v === null || v === "" ? undefined : v), safeText(z.string().trim()).toLowerCase().optional()),
    RequireTls: bool(false),
    SenderIPAddresses: psList(safeText(z.string()), { joined: true }).default([]),
    SenderDomains: psList(safeText(z.string()), { joined: true }).default([]),
    CloudServicesMailEnabled: bool(false),
    ConnectorSource: z.preprocess((v) => (v === null ? undefined : v), psEnum(TENANT_CONNECTOR_SOURCE).optional()),
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
      connectorSource: c.ConnectorSource?.join(", "),
    }),
  )
  .refine((c) => c.name !== "", { message: "has no Name or Identity" });

const rawOutboundConnector = z
  .looseObject({
    ...named,
    Enabled: bool(true),
    ConnectorType: psEnumValue(TENANT_CONNECTOR_TYPE),
    SmartHosts: psList(psHost, { joined: true }).default([]),
    UseMXRecord: bool(false),
    TlsSettings: z.preprocess((v) => (v === null ? undefined : v), psEnumValue(TLS_AUTH_LEVEL).optional()),
    TlsDomain: optionalHost,
    RecipientDomains: psList(psHost, { joined: true }).default([]),
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

/** The Exchange Online lists, from the document or from the admin endpoint; both give the cmdlets' objects. */
export const rawExchangeOnlineSchema = z.strictObject({
  inboundConnectors: psList(rawInboundConnector).optional(),
  outboundConnectors: psList(rawOutboundConnector).optional(),
  acceptedDomains: psList(rawAcceptedDomain).optional(),
  remoteDomains: psList(rawRemoteDomain).optional(),
});

/** Exchange Online's lists as the admin endpoint returns them, normalised like the document's. */
export function readExchangeOnline(lists: z.input<typeof rawExchangeOnlineSchema>, source: string): ExchangeOnlineState {
  return { ...validate(rawExchangeOnlineSchema, lists, source), source: "admin-api" };
}
