namespace Verdict.Scoring.Featurizers;

/// <summary>The hashed n-gram features of one text: distinct bucket ids, ascending, with their weights (unit L2 norm).</summary>
internal readonly record struct SparseFeatures(int[] Ids, float[] Values)
{
    public int Count => Ids.Length;
}
