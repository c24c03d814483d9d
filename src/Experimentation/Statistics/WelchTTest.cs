namespace Verdict.Experimentation.Statistics;

/// <summary>
/// Welch's t-test (unequal variances, Satterthwaite degrees of freedom, two-sided) from two summaries.
/// Used on raw seconds (<c>welch-t</c>) and on log(1 + seconds) (<c>welch-t-log</c>), where the difference of
/// mean logs is reported as a ratio of geometric means.
/// </summary>
/// <remarks>
/// Guard order: an arm with fewer than two observations, then zero variance in both arms. The relative
/// change of <c>welch-t</c> uses the delta method on the ratio of means; for <c>welch-t-log</c> it is
/// exp(diff) − 1 with the interval's ends exponentiated the same way.
/// </remarks>
internal static class WelchTTest
{
    public const string RawName = "welch-t";
    public const string LogName = "welch-t-log";

    public static Comparison Compute(string control, string treatment, MeanSummary c, MeanSummary t, double alpha, bool logScale = false)
    {
        var empty = new Comparison { Control = control, Treatment = treatment, Test = logScale ? LogName : RawName };
        if (c.Count == 0 || t.Count == 0)
        {
            return empty with { Reason = UninformativeReason.EmptyArm };
        }
        if (c.Variance is not double vc || t.Variance is not double vt)
        {
            return empty with { Reason = UninformativeReason.TooFewObservations };
        }

        double diff = t.Mean - c.Mean;
        double ac = vc / c.Count;
        double at = vt / t.Count;
        double se2 = ac + at;
        if (se2 <= 0)
        {
            return empty with { Diff = diff, Reason = UninformativeReason.ZeroVariance };
        }

        double se = Math.Sqrt(se2);
        double df = se2 * se2 / ((ac * ac / (c.Count - 1)) + (at * at / (t.Count - 1)));
        double stat = diff / se;
        double p = Tails.StudentTTwoSided(stat, df);
        double half = Tails.StudentTCritical(alpha, df) * se;
        var result = empty with
        {
            Statistic = stat,
            Df = df,
            Diff = diff,
            CiLow = diff - half,
            CiHigh = diff + half,
            PValue = p,
            Significant = p < alpha,
        };

        if (logScale)
        {
            return result with
            {
                RelLift = Math.Exp(diff) - 1,
                RelCiLow = Math.Exp(diff - half) - 1,
                RelCiHigh = Math.Exp(diff + half) - 1,
                RelCiMethod = "log-ratio",
            };
        }
        return NormalApproximation.WithRelativeLiftByDelta(result, c.Mean, t.Mean, ac, at, alpha);
    }
}
