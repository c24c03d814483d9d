// The Functions app: the Verdict isolated worker (dotnet-isolated 10.0) on Flex Consumption (or Elastic
// Premium), Linux, with a system-assigned identity, identity-based storage (no keys in its settings), and VNet
// integration, through which it reaches the GPU scoring service's internal environment.
param prefix string
param location string
param tags object

@allowed(['FlexConsumption', 'Premium'])
param plan string

param storageName string
param insightsConnectionString string

@description('Base URL of the GPU scoring service, for models whose manifest says target: gpu.')
param scoringServiceUrl string

@description('The subnet the app integrates with (modules/network.bicep).')
param subnetId string

@description('Most instances Flex Consumption may scale out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

var flex = plan == 'FlexConsumption'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageName
}

resource hostingPlan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${prefix}-plan'
  location: location
  tags: tags
  kind: flex ? 'functionapp' : 'elastic'
  sku: flex ? {
    name: 'FC1'
    tier: 'FlexConsumption'
  } : {
    name: 'EP1'
    tier: 'ElasticPremium'
  }
  properties: {
    reserved: true
    maximumElasticWorkerCount: flex ? null : 20
  }
}

// Settings both plans share. Storage is reached with the app's identity: AzureWebJobsStorage__* names the
// account instead of holding a connection string.
var commonSettings = [
  {
    name: 'AzureWebJobsStorage__accountName'
    value: account.name
  }
  {
    name: 'AzureWebJobsStorage__credential'
    value: 'managedidentity'
  }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    value: insightsConnectionString
  }
  {
    name: 'Verdict__StorageAccountName'
    value: account.name
  }
  {
    name: 'Verdict__ScoringServiceUrl'
    value: scoringServiceUrl
  }
]

// Elastic Premium names the runtime in its settings; Flex Consumption in functionAppConfig.
var premiumSettings = [
  {
    name: 'FUNCTIONS_EXTENSION_VERSION'
    value: '~4'
  }
  {
    name: 'FUNCTIONS_WORKER_RUNTIME'
    value: 'dotnet-isolated'
  }
]

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: '${prefix}-func'
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: hostingPlan.id
    httpsOnly: true
    virtualNetworkSubnetId: subnetId
    vnetRouteAllEnabled: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      linuxFxVersion: flex ? null : 'DOTNET-ISOLATED|10.0'
      appSettings: flex ? commonSettings : concat(commonSettings, premiumSettings)
    }
    functionAppConfig: flex ? {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${account.properties.primaryEndpoints.blob}deployments'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: 2048
      }
    } : null
  }
}

output name string = app.name
output principalId string = app.identity.principalId
output url string = 'https://${app.properties.defaultHostName}'
