// Verdict in one resource group: storage (models, experiments, event log, queues), the Functions app (isolated
// worker, dotnet-isolated 10.0), Application Insights with Log Analytics, and the GPU scoring service on an
// internal Container Apps environment, reachable only from the private network the Functions app joins.
// Deploy: az deployment group create -g RG -f infra/bicep/main.bicep -p infra/bicep/params/dev.bicepparam
targetScope = 'resourceGroup'

@description('Short environment name, part of every resource name (e.g. dev, prod).')
@minLength(2)
@maxLength(8)
param environmentName string

param location string = resourceGroup().location

@description('Hosting plan of the Functions app.')
@allowed(['FlexConsumption', 'Premium'])
param functionPlan string = 'FlexConsumption'

@description('GPU of the scoring service: T4 (NC8as_T4_v3) or A100 (NC24_A100_v4). Both need GPU quota.')
@allowed(['T4', 'A100'])
param gpu string = 'T4'

@description('The GPU scoring service image.')
param scoringImage string

@minValue(1)
@maxValue(20)
param scoringMaxReplicas int = 3

param tags object = {
  application: 'verdict'
  environment: environmentName
}

var prefix = 'verdict-${environmentName}'
var storageName = take('verdict${environmentName}${uniqueString(resourceGroup().id)}', 24)

// Built-in roles (role definition ids are the same in every tenant).
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageBlobDataReader = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    prefix: prefix
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: storageName
    location: location
    tags: tags
  }
}

module network 'modules/network.bicep' = {
  name: 'network'
  params: {
    prefix: prefix
    location: location
    tags: tags
    functionPlan: functionPlan
  }
}

module scoring 'modules/scoring.bicep' = {
  name: 'scoring'
  params: {
    prefix: prefix
    location: location
    tags: tags
    workspaceName: monitoring.outputs.workspaceName
    storageName: storage.outputs.name
    gpu: gpu
    image: scoringImage
    maxReplicas: scoringMaxReplicas
    vnetId: network.outputs.vnetId
    subnetId: network.outputs.scoringSubnetId
  }
}

module functions 'modules/functions.bicep' = {
  name: 'functions'
  params: {
    prefix: prefix
    location: location
    tags: tags
    plan: functionPlan
    storageName: storage.outputs.name
    insightsConnectionString: monitoring.outputs.insightsConnectionString
    scoringServiceUrl: scoring.outputs.url
    subnetId: network.outputs.functionsSubnetId
  }
}

module functionRoles 'modules/roles.bicep' = {
  name: 'function-roles'
  params: {
    storageName: storage.outputs.name
    principalId: functions.outputs.principalId
    roleIds: [storageBlobDataOwner, storageQueueDataContributor]
  }
}

module scoringRoles 'modules/roles.bicep' = {
  name: 'scoring-roles'
  params: {
    storageName: storage.outputs.name
    principalId: scoring.outputs.principalId
    roleIds: [storageBlobDataReader]
  }
}

output functionAppName string = functions.outputs.name
output functionAppUrl string = functions.outputs.url
output scoringServiceUrl string = scoring.outputs.url
output storageAccountName string = storage.outputs.name
output applicationInsightsName string = monitoring.outputs.insightsName
