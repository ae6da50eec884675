@description('The storage account of the host, the queue, the state table and the reports.')
param storageAccountName string

@description('The Application Insights resource the app sends telemetry to.')
param applicationInsightsName string

@description('The Key Vault holding the Exchange Online certificate and the Teams webhook URLs.')
param keyVaultName string

@description('Principal id of the app\'s user-assigned managed identity.')
param appPrincipalId string

@description('Object id of the admin who adds secrets and runs the command line against the state table; empty: no admin roles.')
param adminPrincipalId string = ''

@description('What adminPrincipalId is.')
@allowed(['User', 'Group', 'ServicePrincipal'])
param adminPrincipalType string = 'User'

// Built-in role definition ids (the same in every tenant).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  storageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
}

var withAdmin = !empty(adminPrincipalId)

resource storage 'Microsoft.Storage/storageAccounts@2023-01-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

// The host keeps its keys, timer schedules and locks in blobs, and reads the deployment package; the app writes reports.
resource appBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The daily run queues one message per tenant; the worker reads them; the host moves failures to the poison queue.
resource appQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The state table.
resource appTable 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Application Insights takes telemetry only from Entra identities holding this role (local auth is off).
resource appTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, appPrincipalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Key Vault references in app settings are resolved with the app's identity (keyVaultReferenceIdentity).
resource appSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The admin sets and rotates the secrets; with RBAC authorization, owning the subscription does not let one read or write them.
resource adminSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (withAdmin) {
  name: guid(vault.id, adminPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: adminPrincipalId
    principalType: adminPrincipalType
  }
}

// The command line registers tenants and alert channels in the state table with the admin's own sign-in (shared keys are off).
resource adminTable 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (withAdmin) {
  name: guid(storage.id, adminPrincipalId, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: adminPrincipalId
    principalType: adminPrincipalType
  }
}

// Reports and large inventories are blobs behind the table's rows: the command line reads them with the admin's sign-in too.
resource adminBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (withAdmin) {
  name: guid(storage.id, adminPrincipalId, roles.storageBlobDataReader)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataReader)
    principalId: adminPrincipalId
    principalType: adminPrincipalType
  }
}
