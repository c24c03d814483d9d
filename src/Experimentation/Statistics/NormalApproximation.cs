namespace Verdict.Experimentation.Statistics;

/// <summary>The pieces that every large-sample (z) comparison shares: the interval and p-value of a difference, and the delta-method relative lift.</summary>
internal static class NormalApproximation
{
    /// <summary>
    /// Fills in a difference with its normal interval (diff ± z·se) and the two-sided p-value of
    /// <paramref name="statistic"/>, which may use another standard error (the pooled one of the proportion test).
    /// </summary>
    public static Comparison WithDifference(Comparison comparison, double diff, double se, double statistic, double alpha)
    {
        double crit = Tails.NormalCritical(alpha);
        double p = Tails.NormalTwoSided(statistic);
        return comparison with
        {
            Statistic = statistic,
            Diff = diff,
            CiLow = diff - (crit * se),
            CiHigh = diff + (crit * se),
            PValue = p,
            Significant = p < alpha,
        };
    }

    /// <summary>
    /// Relative lift t/c − 1 with the delta-method interval, Var ≈ Var(t)/c² + t²·Var(c)/c⁴, from the arms'
    /// means and the variances of those means; null with <see cref="UninformativeReason.ZeroControlMean"/> when c = 0.
    /// </summary>
    public static Comparison WithRelativeLiftByDelta(Comparison comparison, double control, double treatment, double controlVariance, double treatmentVariance, double alpha)
    {
        if (control == 0)
        {
            return comparison with { RelLiftReason = UninformativeReason.ZeroControlMean };
        }
        double rel = (treatment / control) - 1;
        double c2 = control * control;
        double half = Tails.NormalCritical(alpha) * Math.Sqrt((treatmentVariance / c2) + (treatment * treatment * controlVariance / (c2 * c2)));
        return comparison with { RelLift = rel, RelCiLow = rel - half, RelCiHigh = rel + half, RelCiMethod = "delta" };
    }
}
