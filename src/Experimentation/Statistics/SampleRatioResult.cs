namespace Verdict.Experimentation.Statistics;

/// <summary>Sample-ratio mismatch check: units per arm against the planned weights.</summary>
public sealed record SampleRatioResult
{
    /// <summary>Pearson's chi-square statistic.</summary>
    public double? ChiSquare { get; init; }

    /// <summary>Degrees of freedom (arms − 1).</summary>
    public int? Df { get; init; }

    /// <summary>Upper-tail p-value.</summary>
    public double? PValue { get; init; }

    /// <summary>True when p &lt; 0.001: the split is not the one planned and the results cannot be trusted.</summary>
    public bool Mismatch { get; init; }

    /// <summary>True when 0.001 ≤ p &lt; 0.01: worth a look, not yet a mismatch.</summary>
    public bool Warning { get; init; }

    /// <summary>The weights the counts were tested against, normalised to sum to 1.</summary>
    public IReadOnlyDictionary<string, double> ExpectedShares { get; init; } = new Dictionary<string, double>();

    /// <summary>Whether the weights were given (false: equal weights were assumed).</summary>
    public bool WeightsGiven { get; init; }

    /// <summary>Why the check could not be made; null when it was.</summary>
    public UninformativeReason? Reason { get; init; }

    /// <summary>Details for <see cref="Reason"/>, such as the arm missing from the weights.</summary>
    public string? ReasonDetail { get; init; }
}
