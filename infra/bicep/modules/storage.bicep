// The storage account of models, experiments and the event log, with the app's queues and their poison
// queues. Shared-key access is off: everything signs in with a managed identity.
@description('Storage account name: 3-24 lowercase letters and digits.')
@minLength(3)
@maxLength(24)
param name string

param location string
param tags object

@description('Days the text of emails kept for retraining (the bodies container) lives before it is deleted.')
@minValue(1)
@maxValue(365)
param bodyRetentionDays int = 30

var containers = ['models', 'events', 'experiments', 'deployments', 'bodies']
var queues = ['score-requests', 'score-results', 'outcomes', 'replies']

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource blobContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for container in containers: {
  parent: blobs
  name: container
  properties: {
    publicAccess: 'None'
  }
}]

// Kept email text is personal data: the account deletes it after the retention, whatever the app does.
resource retention 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'delete-kept-bodies'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['appendBlob', 'blockBlob']
              prefixMatch: ['bodies/']
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterCreationGreaterThan: bodyRetentionDays
                }
              }
            }
          }
        }
      ]
    }
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource appQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for queue in concat(queues, map(queues, q => '${q}-poison')): {
  parent: queueService
  name: queue
}]

output name string = account.name
output id string = account.id
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueEndpoint string = account.properties.primaryEndpoints.queue
