// The Function App and every app setting it gets. Defaults and descriptions of the settings are in main.bicep;
// test/infra.test.ts holds the names here equal to those the code reads.

@description('Name of the Function App.')
param name string

@description('Region of the app.')
param location string = resourceGroup().location

@description('Tags of the app; azd finds the app by azd-service-name.')
param tags object = {}

@description('The Flex Consumption plan.')
param appServicePlanId string

@description('Resource id of the user-assigned managed identity.')
param identityId string

@description('Client id of that identity.')
param identityClientId string

@description('The storage account of the host, the queue, the state table and the deployment package.')
param storageAccountName string

@description('The blob container the app package is deployed to.')
param deploymentContainerName string

@description('The Application Insights resource.')
param applicationInsightsName string

@description('The Key Vault the Key Vault references point to.')
param keyVaultName string

@description('Memory of each instance, in MB.')
param instanceMemoryMB int

@description('Most instances the app scales out to.')
param maximumInstanceCount int

// The product's settings, as main.bicep describes them.
@description('FEED_CHECK_SCHEDULE.')
param feedCheckSchedule string
@description('DRIFT_CHECK_SCHEDULE.')
param driftCheckSchedule string
@description('ALERT_SCHEDULE.')
param alertSchedule string
@description('M365_ENDPOINTS_BASE_URL.')
param m365EndpointsBaseUrl string
@description('MAILFLOW_GUARD_INSTANCES, as a list.')
param instances array
@description('MAILFLOW_GUARD_MAX_REMOVAL_SHARE.')
param maxRemovalShare string
@description('MAILFLOW_GUARD_ACCEPT_FEED_VERSION.')
param acceptFeedVersion string
@description('MAILFLOW_GUARD_MAX_FEED_AGE.')
param maxFeedAge string
@description('MAILFLOW_GUARD_MAX_INVENTORY_BYTES.')
param maxInventoryBytes int
@description('MAILFLOW_GUARD_KEEP_RUNS.')
param keepRuns int
@description('MAILFLOW_GUARD_TABLE.')
param stateTableName string
@description('MAILFLOW_GUARD_MAIL_SENDER.')
param mailSender string
@description('MAILFLOW_GUARD_GRAPH_BASE_URL.')
param graphBaseUrl string
@description('MAILFLOW_GUARD_PUBLIC_BASE_URL; empty: the app\'s own https://<host>/api.')
param publicBaseUrl string
@description('How the app signs in to Exchange Online.')
@allowed(['none', 'certificate', 'managedIdentity'])
param exoAuthentication string
@description('MAILFLOW_GUARD_EXO_CLIENT_ID with a certificate.')
param exoClientId string
@description('The Key Vault secret MAILFLOW_GUARD_EXO_CERTIFICATE refers to.')
param exoCertificateSecretName string
@description('MAILFLOW_GUARD_EXO_BASE_URL.')
param exoBaseUrl string
@description('MAILFLOW_GUARD_DNS_SERVERS, as a list.')
param dnsServers array
@description('MAILFLOW_GUARD_BLOCKLISTS, as a list.')
param blocklists array
@description('MAILFLOW_GUARD_EGRESS_ADDRESSES, as a list.')
param egressAddresses array
@description('MAILFLOW_GUARD_PROBE_SMART_HOSTS.')
param probeSmartHosts bool

resource storage 'Microsoft.Storage/storageAccounts@2023-01-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: appServicePlanId
    httpsOnly: true
    // Key Vault references are resolved with the user-assigned identity, not a system-assigned one (there is none).
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      // Flex Consumption takes the runtime from here; FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION are not app settings on it.
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
}

// Versionless, so that a new version of the secret is picked up without a redeployment.
var exoCertificateReference = '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${exoCertificateSecretName}/)'

// One key per line, values on the same line: the test reads the names from this block.
var appSettings = {
  // Host storage, the drift-check queue and the state table, reached with the user-assigned identity (shared keys are off).
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
  MAILFLOW_GUARD_TABLE: stateTableName
  // DefaultAzureCredential (mail alerts through Graph) picks the user-assigned identity by its client id.
  AZURE_CLIENT_ID: identityClientId
  // Telemetry with an Entra token: local auth is off on Application Insights.
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // Timers (%NAME% in functions/*.ts).
  FEED_CHECK_SCHEDULE: feedCheckSchedule
  DRIFT_CHECK_SCHEDULE: driftCheckSchedule
  ALERT_SCHEDULE: alertSchedule
  // The feed and its safety limits.
  M365_ENDPOINTS_BASE_URL: m365EndpointsBaseUrl
  MAILFLOW_GUARD_INSTANCES: join(instances, ',')
  MAILFLOW_GUARD_MAX_REMOVAL_SHARE: maxRemovalShare
  MAILFLOW_GUARD_ACCEPT_FEED_VERSION: acceptFeedVersion
  MAILFLOW_GUARD_MAX_FEED_AGE: maxFeedAge
  // Inventories and runs.
  MAILFLOW_GUARD_MAX_INVENTORY_BYTES: string(maxInventoryBytes)
  MAILFLOW_GUARD_KEEP_RUNS: string(keepRuns)
  // Alerts.
  MAILFLOW_GUARD_MAIL_SENDER: mailSender
  MAILFLOW_GUARD_GRAPH_BASE_URL: graphBaseUrl
  MAILFLOW_GUARD_PUBLIC_BASE_URL: !empty(publicBaseUrl) ? publicBaseUrl : 'https://${functionApp.properties.defaultHostName}/api'
  // Exchange Online read live: exactly one way to sign in, or none. An empty value is the same as no setting.
  MAILFLOW_GUARD_EXO_BASE_URL: exoBaseUrl
  MAILFLOW_GUARD_EXO_CLIENT_ID: exoAuthentication == 'certificate' ? exoClientId : (exoAuthentication == 'managedIdentity' ? identityClientId : '')
  MAILFLOW_GUARD_EXO_CERTIFICATE: exoAuthentication == 'certificate' ? exoCertificateReference : ''
  MAILFLOW_GUARD_EXO_MANAGED_IDENTITY_CLIENT_ID: exoAuthentication == 'managedIdentity' ? identityClientId : ''
  // DNS and probes from the outside.
  MAILFLOW_GUARD_DNS_SERVERS: join(dnsServers, ',')
  MAILFLOW_GUARD_BLOCKLISTS: join(blocklists, ',')
  MAILFLOW_GUARD_EGRESS_ADDRESSES: join(egressAddresses, ',')
  MAILFLOW_GUARD_PROBE_SMART_HOSTS: probeSmartHosts ? 'true' : 'false'
}

// The whole set: settings added by hand in the portal are replaced at the next deployment.
resource functionAppSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: appSettings
}

output name string = functionApp.name
output uri string = 'https://${functionApp.properties.defaultHostName}'
