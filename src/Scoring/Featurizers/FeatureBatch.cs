namespace Verdict.Scoring.Featurizers;

/// <summary>One named model input of a batch: <c>Rows × Columns</c> values, row-major.</summary>
internal sealed record FeatureTensor(string Role, long[]? Int64Data, float[]? FloatData);

/// <summary>The model inputs for a batch of texts, padded to a common length.</summary>
internal sealed record FeatureBatch(int Rows, int Columns, IReadOnlyList<FeatureTensor> Tensors);
