namespace Verdict.Experimentation.Statistics;

/// <summary>
/// Always-valid inference for a difference whose estimator is asymptotically normal: the Gaussian-mixture
/// asymptotic confidence sequence of Waudby-Smith, Arbour, Sinha, Kennedy and Ramdas (2024,
/// "Time-uniform central limit theory and asymptotic confidence sequences").
/// </summary>
/// <remarks>
/// With N units so far, estimate d̂ with standard error se, σ̂ = se·√N and mixing parameter ρ, the
/// (1 − α) sequence is d̂ ± se·√(2(Nρ² + 1)/(Nρ²) · ln(√(Nρ² + 1)/α)), and the always-valid p-value, the
/// smallest α whose sequence excludes 0, is min(1, √(1 + Nρ²)·exp(−z²/2 · Nρ²/(1 + Nρ²))) with z = d̂/se.
/// ρ is tuned so that the sequence is narrowest at N* units: ρ² = (−2 ln α + ln(−2 ln α + 1))/N*. N* is the
/// planned sample size when it is known and <see cref="DefaultTuningUnits"/> otherwise. Reading the result
/// at any number of interim looks keeps the chance of ever seeing p &lt; α under the null at most α
/// (asymptotically); the price is a wider interval than the fixed-horizon one at the same N.
/// </remarks>
internal static class SequentialTest
{
    public const double DefaultTuningUnits = 10_000;

    public static double RhoSquared(double alpha, double tuningUnits)
    {
        double l = -2 * Math.Log(alpha);
        return (l + Math.Log(l + 1)) / tuningUnits;
    }

    /// <summary>Adds the always-valid p-value and confidence sequence to a comparison that has a diff and z statistic.</summary>
    public static Comparison Apply(Comparison comparison, double se, long units, double alpha, double tuningUnits)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        if (comparison.Diff is not double diff || comparison.Reason is not null || se <= 0 || units <= 0)
        {
            return comparison;
        }
        double nr2 = units * RhoSquared(alpha, tuningUnits);
        double z = diff / se;
        double logP = (0.5 * Math.Log(1 + nr2)) - (z * z / 2 * nr2 / (1 + nr2));
        double half = se * Math.Sqrt(2 * (nr2 + 1) / nr2 * Math.Log(Math.Sqrt(nr2 + 1) / alpha));
        return comparison with
        {
            PValueAlwaysValid = Math.Min(1, Math.Exp(logP)),
            CsLow = diff - half,
            CsHigh = diff + half,
        };
    }
}
