namespace Verdict.Scoring.Featurizers;

/// <summary>
/// Two featurizers side by side (a pretrained encoder's WordPiece inputs and hashed n-grams): the batch holds the
/// tensors of both, each with its own width, and gives back the pooled arrays of both when disposed.
/// </summary>
internal sealed class CompositeFeaturizer(IFeaturizer first, IFeaturizer second) : IFeaturizer
{
    public IReadOnlyList<string> Roles { get; } = [.. first.Roles, .. second.Roles];

    public FeatureBatch Featurize(IReadOnlyList<string> texts)
    {
        var a = first.Featurize(texts);
        FeatureBatch b;
        try
        {
            b = second.Featurize(texts);
        }
        catch
        {
            a.Dispose();
            throw;
        }
        return new CompositeBatch(a, b);
    }

    private sealed class CompositeBatch(FeatureBatch a, FeatureBatch b)
        : FeatureBatch(a.Rows, a.Columns, [.. a.Tensors.Select(t => Widen(t, a)), .. b.Tensors.Select(t => Widen(t, b))])
    {
        private static FeatureTensor Widen(FeatureTensor tensor, FeatureBatch batch) =>
            tensor.Columns > 0 ? tensor : tensor with { Columns = batch.Columns };

        protected override void Release()
        {
            a.Dispose();
            b.Dispose();
        }
    }
}
