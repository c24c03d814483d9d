using '../main.bicep'

param environmentName = 'dev'
param functionPlan = 'FlexConsumption'
param gpu = 'T4'
param scoringImage = 'mcr.microsoft.com/azuredocs/containerapps-helloworld:latest'
param scoringMaxReplicas = 1
