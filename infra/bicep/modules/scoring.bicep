// The GPU scoring service: a Container Apps environment with a GPU workload profile and the service in it,
// scaled from zero on HTTP load. The environment is internal: it has no public endpoint, only an address in
// the private network's scoring subnet, and a private DNS zone resolves the service's name there. Logs go
// to Log Analytics through a diagnostic setting, so no workspace key is fetched.
param prefix string
param location string
param tags object
param workspaceName string
param storageName string

@allowed(['T4', 'A100'])
param gpu string

@description('The scoring service image, e.g. myregistry.azurecr.io/verdict-scoring:1.0.')
param image string

@minValue(1)
@maxValue(20)
param maxReplicas int

@description('The private network (modules/network.bicep) and its subnet for the environment.')
param vnetId string
param subnetId string

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${prefix}-apps'
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'azure-monitor'
    }
    vnetConfiguration: {
      infrastructureSubnetId: subnetId
      internal: true
    }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
      {
        name: 'gpu'
        workloadProfileType: gpu == 'A100' ? 'Consumption-GPU-NC24-A100' : 'Consumption-GPU-NC8as-T4'
      }
    ]
  }
}

resource logs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'logs'
  scope: environment
  properties: {
    workspaceId: workspace.id
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
  }
}

// The zone's name is the environment's domain, known only once it exists: hence a module of its own.
module dns 'scoring-dns.bicep' = {
  name: 'scoring-dns'
  params: {
    domain: environment.properties.defaultDomain
    staticIp: environment.properties.staticIp
    vnetId: vnetId
    tags: tags
  }
}

resource service 'Microsoft.App/containerApps@2024-03-01' = {
  name: '${prefix}-scoring'
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    environmentId: environment.id
    workloadProfileName: 'gpu'
    configuration: {
      // Reachable from the private network only: the environment itself is internal.
      ingress: {
        external: true
        targetPort: 8080
        transport: 'http'
        allowInsecure: false
      }
    }
    template: {
      containers: [
        {
          name: 'scoring'
          image: image
          resources: {
            cpu: gpu == 'A100' ? 24 : 8
            memory: gpu == 'A100' ? '220Gi' : '56Gi'
          }
          env: [
            {
              name: 'Scoring__StorageAccountName'
              value: storageName
            }
          ]
          probes: [
            {
              type: 'Readiness'
              httpGet: {
                path: '/health'
                port: 8080
              }
            }
          ]
        }
      ]
      scale: {
        minReplicas: 0
        maxReplicas: maxReplicas
        rules: [
          {
            name: 'http'
            http: {
              metadata: {
                concurrentRequests: '64'
              }
            }
          }
        ]
      }
    }
  }
}

output principalId string = service.identity.principalId
output url string = 'https://${service.properties.configuration.ingress.fqdn}'
