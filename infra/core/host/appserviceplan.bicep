@description('Name of the Flex Consumption plan.')
param name string

@description('Region of the plan.')
param location string = resourceGroup().location

@description('Tags of the plan.')
param tags object = {}

// Flex Consumption: Linux, billed per execution; scale is set on the app (functionAppConfig), not here.
resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

output id string = plan.id
output name string = plan.name
