@description('Name of the storage account: 3 to 24 lower-case letters and digits.')
param name string

@description('Region of the account.')
param location string = resourceGroup().location

@description('Tags of the account.')
param tags object = {}

@description('The blob container Flex Consumption deploys the app package to.')
param deploymentContainerName string

@description('The table that holds the state (tenants, feeds, runs, findings, alert channels).')
param stateTableName string

// The queue the daily run fans out to, one message per tenant, and the one the host moves a message to after five failed tries.
var queueNames = ['mailflow-guard-checks', 'mailflow-guard-checks-poison']
// Reports and large inventories; the app names it itself.
var reportsContainerName = 'mailflow-guard'

// Shared keys off: the host, the app and admins reach the account with Entra identities only.
resource storage 'Microsoft.Storage/storageAccounts@2023-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobServices 'Microsoft.Storage/storageAccounts/blobServices@2023-01-01' = {
  parent: storage
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-01-01' = [
  for containerName in [deploymentContainerName, reportsContainerName]: {
    parent: blobServices
    name: containerName
    properties: {
      publicAccess: 'None'
    }
  }
]

resource queueServices 'Microsoft.Storage/storageAccounts/queueServices@2023-01-01' = {
  parent: storage
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-01-01' = [
  for queueName in queueNames: {
    parent: queueServices
    name: queueName
  }
]

resource tableServices 'Microsoft.Storage/storageAccounts/tableServices@2023-01-01' = {
  parent: storage
  name: 'default'
}

resource stateTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-01-01' = {
  parent: tableServices
  name: stateTableName
}

output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
