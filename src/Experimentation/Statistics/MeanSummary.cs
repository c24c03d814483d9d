namespace Verdict.Experimentation.Statistics;

/// <summary>
/// Mergeable sufficient statistics of a sample: count, mean and the sum of squared deviations (M2).
/// </summary>
/// <remarks>
/// Welford's update and Chan's pairwise merge keep the variance accurate when the mean is large compared
/// with the spread, which a running sum of squares does not. Partitions summarised apart and added give
/// the same result as one pass, up to rounding.
/// </remarks>
/// <param name="Count">Number of observations.</param>
/// <param name="Mean">Their mean (0 when empty).</param>
/// <param name="M2">Sum of squared deviations from the mean.</param>
public readonly record struct MeanSummary(long Count, double Mean, double M2)
{
    /// <summary>Sample variance (n − 1 denominator); null below two observations.</summary>
    public double? Variance => Count > 1 ? Math.Max(0, M2 / (Count - 1)) : null;

    /// <summary>Returns this summary with one more observation.</summary>
    public MeanSummary Add(double value)
    {
        long n = Count + 1;
        double delta = value - Mean;
        double mean = Mean + (delta / n);
        return new MeanSummary(n, mean, M2 + (delta * (value - mean)));
    }

    /// <summary>Summarises a sequence of values.</summary>
    public static MeanSummary Of(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var summary = default(MeanSummary);
        foreach (double value in values)
        {
            summary = summary.Add(value);
        }
        return summary;
    }

    /// <summary>Merges two summaries of disjoint samples.</summary>
    public static MeanSummary operator +(MeanSummary left, MeanSummary right)
    {
        if (left.Count == 0)
        {
            return right;
        }
        if (right.Count == 0)
        {
            return left;
        }
        long n = left.Count + right.Count;
        double delta = right.Mean - left.Mean;
        double mean = left.Mean + (delta * right.Count / n);
        double m2 = left.M2 + right.M2 + (delta * delta * ((double)left.Count * right.Count / n));
        return new MeanSummary(n, mean, m2);
    }

    /// <summary>Merges two summaries of disjoint samples.</summary>
    public static MeanSummary Add(MeanSummary left, MeanSummary right) => left + right;
}
