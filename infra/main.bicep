// mailflow-guard: a Flex Consumption Function App with its storage, monitoring and Key Vault,
// reached through one user-assigned managed identity. Deploy with `azd up`, or with
// `az deployment sub create -l <location> -f infra/main.bicep -p environmentName=<name> location=<location>`.
targetScope = 'subscription'

// --- Environment -------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('Name of the environment (for azd, the azd environment); it names the resource group and seeds the unique suffix of every resource name.')
param environmentName string

@minLength(1)
@description('Region of every resource. Only regions with Flex Consumption are listed; `az functionapp list-flexconsumption-locations` shows the current ones.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Resource group to create or reuse; empty: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Object id of the admin (user, group or service principal) who adds the Key Vault secrets and runs the command line against the state table; empty: no one. azd fills in the signed-in account.')
param principalId string = ''

@description('What principalId is.')
@allowed(['User', 'Group', 'ServicePrincipal'])
param principalType string = 'User'

// --- Scale ---------------------------------------------------------------------------------------

@description('Memory of each instance, in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Most instances the app scales out to. A run queues one check per tenant; a few instances are plenty.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

// --- Schedules (six-field NCRONTAB, UTC) -------------------------------------------------------------

@description('FEED_CHECK_SCHEDULE: the feed version check, hourly.')
param feedCheckSchedule string = '0 5 * * * *'

@description('DRIFT_CHECK_SCHEDULE: the daily drift check of every tenant.')
param driftCheckSchedule string = '0 0 6 * * *'

@description('ALERT_SCHEDULE: stale-run alerts, digests and heartbeats, hourly.')
param alertSchedule string = '0 30 * * * *'

// --- The feed ------------------------------------------------------------------------------------

@description('M365_ENDPOINTS_BASE_URL: the Microsoft 365 IP Address and URL web service.')
param m365EndpointsBaseUrl string = 'https://endpoints.office.com'

@description('MAILFLOW_GUARD_INSTANCES: instances kept fresh besides those the inventories use (Worldwide, USGovDoD, USGovGCCHigh, China).')
param instances array = ['Worldwide']

@description('MAILFLOW_GUARD_MAX_REMOVAL_SHARE: the share of EOP addresses a new feed may drop before it is refused, e.g. "25%".')
param maxRemovalShare string = '25%'

@description('MAILFLOW_GUARD_ACCEPT_FEED_VERSION: a feed version accepted although it drops more than that share; empty: none.')
param acceptFeedVersion string = ''

@description('MAILFLOW_GUARD_MAX_FEED_AGE: how old the feed in force may be, when it cannot be brought up to date, before checks fail ("7d", "36h").')
param maxFeedAge string = '7d'

// --- Inventories and runs ------------------------------------------------------------------------

@description('MAILFLOW_GUARD_MAX_INVENTORY_BYTES: the largest inventory POST /api/inventory takes.')
@minValue(1)
param maxInventoryBytes int = 33554432

@description('MAILFLOW_GUARD_KEEP_RUNS: runs kept per tenant, with their reports.')
@minValue(1)
param keepRuns int = 30

@description('MAILFLOW_GUARD_TABLE: the Table Storage table that holds the state.')
param stateTableName string = 'mailflowguard'

// --- Alerts ----------------------------------------------------------------------------------------

@description('MAILFLOW_GUARD_MAIL_SENDER: the mailbox mail alerts are sent from; empty: no mail alerts.')
param mailSender string = ''

@description('MAILFLOW_GUARD_GRAPH_BASE_URL: Microsoft Graph, with its version (national clouds have their own).')
param graphBaseUrl string = 'https://graph.microsoft.com/v1.0'

@description('MAILFLOW_GUARD_PUBLIC_BASE_URL: the app\'s public API root, for links in alerts; empty: https://<the app\'s host name>/api.')
param publicBaseUrl string = ''

// --- Exchange Online, read live --------------------------------------------------------------------

@description('How the app signs in to Exchange Online: none (the uploaded state document is used), certificate (an app registration whose PEM is in the Key Vault), or managedIdentity (the app\'s own identity, its home tenant only).')
@allowed(['none', 'certificate', 'managedIdentity'])
param exoAuthentication string = 'none'

@description('MAILFLOW_GUARD_EXO_CLIENT_ID with exoAuthentication = certificate: the app registration\'s client id.')
param exoClientId string = ''

@description('With exoAuthentication = certificate: the Key Vault secret holding the app\'s certificate and private key, PEM.')
param exoCertificateSecretName string = 'exo-app-certificate'

@description('MAILFLOW_GUARD_EXO_BASE_URL: the Exchange Online admin endpoint\'s root.')
param exoBaseUrl string = 'https://outlook.office365.com'

// --- DNS and probes from the outside -----------------------------------------------------------

@description('MAILFLOW_GUARD_DNS_SERVERS: resolvers to ask ("10.0.0.4", "10.0.0.4:53"); empty: the platform\'s.')
param dnsServers array = []

@description('MAILFLOW_GUARD_BLOCKLISTS: DNS blocklist zones the egress addresses are looked up in; empty: no lookups.')
param blocklists array = []

@description('MAILFLOW_GUARD_EGRESS_ADDRESSES: the on-premises egress addresses of every tenant, besides those a state document names.')
param egressAddresses array = []

@description('MAILFLOW_GUARD_PROBE_SMART_HOSTS: probe the smart hosts on port 25 from the app. Azure blocks outbound port 25 in most subscriptions; leave it off there.')
param probeSmartHosts bool = false

// --- Key Vault ---------------------------------------------------------------------------------------

@description('Turn on purge protection of the Key Vault. Once on it cannot be turned off, and a deleted vault keeps its name for 90 days.')
param keyVaultPurgeProtection bool = false

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.webSitesFunctions}mailflow-${resourceToken}'
// Flex Consumption runs the package azd or Core Tools upload to this container.
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

// The one identity the app uses for storage, Application Insights, Key Vault references and (optionally) Exchange Online.
module identity './core/identity/user-assigned-identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}mailflow-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage './core/storage/storage-account.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    stateTableName: stateTableName
  }
}

module monitoring './core/monitor/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module keyVault './core/security/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    purgeProtection: keyVaultPurgeProtection
  }
}

module plan './core/host/appserviceplan.bicep' = {
  name: 'plan'
  scope: rg
  params: {
    name: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
  }
}

module rbac './app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
    appPrincipalId: identity.outputs.principalId
    adminPrincipalId: principalId
    adminPrincipalType: principalType
  }
}

module api './app/api.bicep' = {
  name: 'api'
  scope: rg
  // The host reaches storage and resolves Key Vault references as it starts: grant the roles first.
  dependsOn: [rbac]
  params: {
    name: functionAppName
    location: location
    tags: tags
    appServicePlanId: plan.outputs.id
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    feedCheckSchedule: feedCheckSchedule
    driftCheckSchedule: driftCheckSchedule
    alertSchedule: alertSchedule
    m365EndpointsBaseUrl: m365EndpointsBaseUrl
    instances: instances
    maxRemovalShare: maxRemovalShare
    acceptFeedVersion: acceptFeedVersion
    maxFeedAge: maxFeedAge
    maxInventoryBytes: maxInventoryBytes
    keepRuns: keepRuns
    stateTableName: stateTableName
    mailSender: mailSender
    graphBaseUrl: graphBaseUrl
    publicBaseUrl: publicBaseUrl
    exoAuthentication: exoAuthentication
    exoClientId: exoClientId
    exoCertificateSecretName: exoCertificateSecretName
    exoBaseUrl: exoBaseUrl
    dnsServers: dnsServers
    blocklists: blocklists
    egressAddresses: egressAddresses
    probeSmartHosts: probeSmartHosts
  }
}

// azd keeps these in the environment (`azd env get-values`).
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.uri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_TABLE_ENDPOINT string = storage.outputs.tableEndpoint
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.applicationInsightsConnectionString
