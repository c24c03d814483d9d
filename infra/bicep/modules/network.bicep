// The private network the GPU scoring service lives in: its Container Apps environment is internal (no public
// endpoint at all), and the Functions app reaches it through VNet integration. A private DNS zone for the
// environment's domain resolves the service's name inside the network.
param prefix string
param location string
param tags object

@description('The Functions app plan: Flex Consumption integrates through a subnet delegated to Microsoft.App/environments, Elastic Premium to Microsoft.Web/serverFarms.')
@allowed(['FlexConsumption', 'Premium'])
param functionPlan string

@description('The address space of the network.')
param addressPrefix string = '10.20.0.0/16'

resource vnet 'Microsoft.Network/virtualNetworks@2024-01-01' = {
  name: '${prefix}-vnet'
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [addressPrefix]
    }
    subnets: [
      {
        name: 'scoring'
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 23, 0)
          delegations: [
            {
              name: 'container-apps'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: 'functions'
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 2)
          delegations: [
            {
              name: 'functions'
              properties: {
                serviceName: functionPlan == 'FlexConsumption' ? 'Microsoft.App/environments' : 'Microsoft.Web/serverFarms'
              }
            }
          ]
        }
      }
    ]
  }
}

output vnetId string = vnet.id
output scoringSubnetId string = vnet.properties.subnets[0].id
output functionsSubnetId string = vnet.properties.subnets[1].id
