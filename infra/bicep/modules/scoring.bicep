// The GPU scoring service: a Container Apps environment with a GPU workload profile and the service in it,
// scaled from zero on HTTP load.
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

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${prefix}-apps'
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: workspace.properties.customerId
        sharedKey: workspace.listKeys().primarySharedKey
      }
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
