@description('Name of the Key Vault: 3 to 24 letters, digits and hyphens.')
param name string

@description('Region of the vault.')
param location string = resourceGroup().location

@description('Tags of the vault.')
param tags object = {}

@description('Turn on purge protection; it cannot be turned off again.')
param purgeProtection bool = false

// Access by Azure RBAC only (no access policies): the app reads secrets as Key Vault Secrets User.
resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // The property takes only true; leaving it out is how it stays off.
    enablePurgeProtection: purgeProtection ? true : null
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
