using '../main.bicep'

param environmentName = 'prod'
param functionPlan = 'Premium'
param gpu = 'A100'
param scoringImage = readEnvironmentVariable('VERDICT_SCORING_IMAGE', 'verdictregistry.azurecr.io/verdict-scoring:latest')
param scoringMaxReplicas = 5
