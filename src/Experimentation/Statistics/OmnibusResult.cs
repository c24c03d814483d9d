namespace Verdict.Experimentation.Statistics;

/// <summary>A test that all arms share one rate (several arms only).</summary>
public sealed record OmnibusResult
{
    /// <summary>The test: <c>chi-square</c> (independence, arms × outcome, without Yates' correction).</summary>
    public string Test { get; init; } = ChiSquareIndependenceTest.Name;

    /// <summary>Pearson's chi-square statistic.</summary>
    public double? Statistic { get; init; }

    /// <summary>Degrees of freedom (arms − 1).</summary>
    public int? Df { get; init; }

    /// <summary>Upper-tail p-value.</summary>
    public double? PValue { get; init; }

    /// <summary>Whether <see cref="PValue"/> is below alpha.</summary>
    public bool Significant { get; init; }

    /// <summary>Why the test could not be computed; null when it was.</summary>
    public UninformativeReason? Reason { get; init; }
}
