/**
 * The Exchange enums the checks read, with the numbers Exchange's own
 * definitions give them. Serialised objects carry enums as numbers
 * (`Export-Clixml`, and `ConvertTo-Json` of them writes the number), the
 * names appearing only in each value's ToString; documents written by hand
 * or by a local session's `Select-Object` give names. Where a pair of name
 * and number appears in a real capture (test/fixtures/exchange-clixml),
 * the line says "capture".
 */
export interface ExchangeEnum {
  /** The .NET type, as the serialised objects name it. */
  type: string;
  /** A flags enum: a value is the sum of its members', written as "A, B" by name. */
  flags: boolean;
  members: readonly (readonly [name: string, value: number])[];
}

/** Microsoft.Exchange.Data.TlsAuthLevel; capture: 2 = CertificateValidation. */
export const TLS_AUTH_LEVEL: ExchangeEnum = {
  type: "Microsoft.Exchange.Data.TlsAuthLevel",
  flags: false,
  members: [
    ["EncryptionOnly", 1],
    ["CertificateValidation", 2],
    ["DomainValidation", 4],
  ],
};

/** Microsoft.Exchange.Data.Directory.SystemConfiguration.AcceptedDomainType; capture: 0, 1 and 2. */
export const ACCEPTED_DOMAIN_TYPE: ExchangeEnum = {
  type: "Microsoft.Exchange.Data.Directory.SystemConfiguration.AcceptedDomainType",
  flags: false,
  members: [
    ["Authoritative", 0],
    ["ExternalRelay", 1],
    ["InternalRelay", 2],
  ],
};

/**
 * Microsoft.Exchange.Data.SmtpReceiveCapabilities, the Capabilities of a
 * receive connector's TlsDomainCapabilities item (flags). The directory
 * stores `domain:512`; remote sessions give the names.
 */
export const SMTP_RECEIVE_CAPABILITIES: ExchangeEnum = {
  type: "Microsoft.Exchange.Data.SmtpReceiveCapabilities",
  flags: true,
  members: [
    ["None", 0],
    ["AcceptOorgHeader", 1],
    ["AcceptOorgProtocol", 2],
    ["AcceptProxyProtocol", 4],
    ["AcceptProxyFromProtocol", 8],
    ["AcceptProxyToProtocol", 16],
    ["AcceptXAttrProtocol", 32],
    ["AcceptOrgHeaders", 64],
    ["AcceptXSysProbeProtocol", 128],
    ["AcceptCrossForestMail", 256],
    ["AcceptCloudServicesMail", 512],
    ["AllowSubmit", 1024],
    ["AcceptXOriginalFromProtocol", 2048],
    ["AllowConsumerMail", 4096],
  ],
};

/**
 * Microsoft.Exchange.Data.Directory.SystemConfiguration.ServerRole, a
 * receive connector's TransportRole (flags; a connector has one role).
 * Capture: 32 = HubTransport, 16384 = FrontendTransport.
 */
export const SERVER_ROLE: ExchangeEnum = {
  type: "Microsoft.Exchange.Data.Directory.SystemConfiguration.ServerRole",
  flags: true,
  members: [
    ["None", 0],
    ["Cafe", 1],
    ["Mailbox", 2],
    ["ClientAccess", 4],
    ["UnifiedMessaging", 16],
    ["HubTransport", 32],
    ["Edge", 64],
    ["Monitoring", 128],
    ["CentralAdmin", 256],
    ["CentralAdminDatabase", 512],
    ["DomainController", 1024],
    ["WindowsDeploymentServer", 2048],
    ["ProvisionedServer", 4096],
    ["LanguagePacks", 8192],
    ["FrontendTransport", 16384],
    ["CafeArray", 32768],
    ["FfoWebService", 65536],
    ["OSP", 131072],
    ["ARR", 262144],
    ["ManagementFrontEnd", 524288],
    ["ManagementBackEnd", 1048576],
    ["SCOM", 2097152],
    ["CentralAdminFrontEnd", 4194304],
    ["NAT", 8388608],
    ["DHCP", 16777216],
  ],
};

/**
 * Microsoft.Exchange.Data.Directory.SystemConfiguration.AuthMechanisms, a
 * receive connector's AuthMechanism (flags). Capture: 31 = Tls, Integrated,
 * BasicAuth, BasicAuthRequireTLS, ExchangeServer; 15 = the first four.
 */
export const RECEIVE_AUTH_MECHANISMS: ExchangeEnum = {
  type: "Microsoft.Exchange.Data.Directory.SystemConfiguration.AuthMechanisms",
  flags: true,
  members: [
    ["None", 0],
    ["Tls", 1],
    ["Integrated", 2],
    ["BasicAuth", 4],
    ["BasicAuthRequireTLS", 8],
    ["ExchangeServer", 16],
    ["ExternalAuthoritative", 32],
  ],
};

/**
 * Microsoft.Exchange.Data.PermissionGroups, a receive connector's
 * PermissionGroups (flags). Capture: 14 = ExchangeUsers, ExchangeServers,
 * ExchangeLegacyServers; 13 = AnonymousUsers, ExchangeServers,
 * ExchangeLegacyServers; 4, 6 and 2.
 */
export const PERMISSION_GROUPS: ExchangeEnum = {
  type: "Microsoft.Exchange.Data.PermissionGroups",
  flags: true,
  members: [
    ["None", 0],
    ["AnonymousUsers", 1],
    ["ExchangeUsers", 2],
    ["ExchangeServers", 4],
    ["ExchangeLegacyServers", 8],
    ["Partners", 16],
    ["Custom", 32],
  ],
};

/**
 * HybridFeature, the hybrid configuration's Features (a list of single
 * values). Capture: 0–6 and 8 as below.
 */
export const HYBRID_FEATURE: ExchangeEnum = {
  type: "HybridFeature",
  flags: false,
  members: [
    ["FreeBusy", 0],
    ["MoveMailbox", 1],
    ["Mailtips", 2],
    ["MessageTracking", 3],
    ["OwaRedirection", 4],
    ["OnlineArchive", 5],
    ["SecureMail", 6],
    ["CentralizedTransport", 7],
    ["Photos", 8],
  ],
};

/**
 * Microsoft.Exchange.Management.SystemConfigurationTasks.AllowedServices, a
 * certificate's Services (flags). Members from learn.microsoft.com (ff319670,
 * exchg.150); values as decompilations of Microsoft.Exchange.Management.dll
 * on GitHub show them.
 */
export const ALLOWED_SERVICES: ExchangeEnum = {
  type: "Microsoft.Exchange.Management.SystemConfigurationTasks.AllowedServices",
  flags: true,
  members: [
    ["None", 0],
    ["IMAP", 1],
    ["POP", 2],
    ["UM", 4],
    ["IIS", 8],
    ["SMTP", 16],
    ["Federation", 32],
    ["UMCallRouter", 64],
  ],
};

/** Microsoft.Exchange.Data.TenantConnectorType, Exchange Online's inbound and outbound connectors' ConnectorType. */
export const TENANT_CONNECTOR_TYPE: ExchangeEnum = {
  type: "Microsoft.Exchange.Data.TenantConnectorType",
  flags: false,
  members: [
    ["OnPremises", 1],
    ["Partner", 2],
  ],
};

/** Microsoft.Exchange.Data.TenantConnectorSource, Exchange Online's connectors' ConnectorSource (flags). */
export const TENANT_CONNECTOR_SOURCE: ExchangeEnum = {
  type: "Microsoft.Exchange.Data.TenantConnectorSource",
  flags: true,
  members: [
    ["Default", 0],
    ["Migrated", 1],
    ["HybridWizard", 2],
  ],
};
