namespace Verdict.Experimentation.Statistics;

/// <summary>
/// One test of a treatment arm against the control arm on one metric. Quantities that are undefined for
/// the data are null and <see cref="Reason"/> (or <see cref="RelLiftReason"/>) says why; no value is NaN.
/// </summary>
/// <remarks>
/// <see cref="Diff"/> is always treatment − control in the metric's unit (a rate difference, seconds,
/// a difference of mean logs, or the Hodges–Lehmann shift). All intervals and p-values are two-sided.
/// </remarks>
public sealed record Comparison
{
    /// <summary>The control arm.</summary>
    public required string Control { get; init; }

    /// <summary>The treatment arm.</summary>
    public required string Treatment { get; init; }

    /// <summary>The test: <c>two-proportion-z</c>, <c>welch-t</c>, <c>welch-t-log</c>, <c>welch-t-cuped</c>, <c>mann-whitney</c> or <c>delta-method-z</c>.</summary>
    public required string Test { get; init; }

    /// <summary>The test statistic (z or t).</summary>
    public double? Statistic { get; init; }

    /// <summary>Degrees of freedom (Welch tests only, fractional).</summary>
    public double? Df { get; init; }

    /// <summary>Treatment − control.</summary>
    public double? Diff { get; init; }

    /// <summary>Lower end of the fixed-horizon confidence interval for <see cref="Diff"/>.</summary>
    public double? CiLow { get; init; }

    /// <summary>Upper end of the fixed-horizon confidence interval for <see cref="Diff"/>.</summary>
    public double? CiHigh { get; init; }

    /// <summary>
    /// How the interval for <see cref="Diff"/> was computed: <c>wald</c>, or for rates with fewer than 10 successes or
    /// failures in an arm <c>newcombe</c> (the hybrid score interval, which stays inside [−1, 1] and is never empty).
    /// </summary>
    public string? CiMethod { get; init; }

    /// <summary>Relative change, treatment / control − 1 (for <c>welch-t-log</c>: ratio of geometric means − 1).</summary>
    public double? RelLift { get; init; }

    /// <summary>Lower end of the interval for <see cref="RelLift"/>.</summary>
    public double? RelCiLow { get; init; }

    /// <summary>Upper end of the interval for <see cref="RelLift"/>.</summary>
    public double? RelCiHigh { get; init; }

    /// <summary>How the relative interval was computed: <c>delta</c>, <c>log-risk-ratio</c> or <c>log-ratio</c>.</summary>
    public string? RelCiMethod { get; init; }

    /// <summary>Why the relative change is null while the test itself is defined.</summary>
    public UninformativeReason? RelLiftReason { get; init; }

    /// <summary>Fixed-horizon two-sided p-value, computed from survival functions (never rounded to 0).</summary>
    public double? PValue { get; init; }

    /// <summary>Holm-adjusted p-value across all pairwise comparisons of the metric (several arms only).</summary>
    public double? PValueHolm { get; init; }

    /// <summary>Benjamini–Hochberg-adjusted p-value across all pairwise comparisons of the metric (several arms only).</summary>
    public double? PValueBH { get; init; }

    /// <summary>Always-valid p-value: may be read at any time while the experiment runs.</summary>
    public double? PValueAlwaysValid { get; init; }

    /// <summary>Lower end of the always-valid confidence sequence for <see cref="Diff"/>.</summary>
    public double? CsLow { get; init; }

    /// <summary>Upper end of the always-valid confidence sequence for <see cref="Diff"/>.</summary>
    public double? CsHigh { get; init; }

    /// <summary>Whether the p-value the verdict relies on (fixed-horizon, adjusted or always-valid) is below alpha.</summary>
    public bool Significant { get; init; }

    /// <summary>
    /// <c>welch-t-cuped</c> only: the share of the handling times' within-arm variance the pre-experiment covariate
    /// explains, 1 − Σ(adjusted squares) / Σ(raw squares); the interval narrows by about the square root of (1 − this).
    /// </summary>
    public double? VarianceReduction { get; init; }

    /// <summary>Why the test could not be computed; null when it was.</summary>
    public UninformativeReason? Reason { get; init; }
}
