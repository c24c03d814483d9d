namespace Verdict.Experimentation.Statistics;

/// <summary>
/// Pearson's chi-square test of independence on the arms × (success, failure) table, without Yates'
/// correction (as R's <c>chisq.test(correct = FALSE)</c>).
/// </summary>
/// <remarks>Guard order: fewer than two arms, an empty arm, then a column total of zero (no variance).</remarks>
internal static class ChiSquareIndependenceTest
{
    public const string Name = "chi-square";

    public static OmnibusResult Compute(IReadOnlyList<ProportionSummary> arms, double alpha)
    {
        ArgumentNullException.ThrowIfNull(arms);
        if (arms.Count < 2)
        {
            return new OmnibusResult { Reason = UninformativeReason.SingleArm };
        }
        if (arms.Any(a => a.Count == 0))
        {
            return new OmnibusResult { Reason = UninformativeReason.EmptyArm };
        }

        double n = arms.Sum(a => (double)a.Count);
        double successes = arms.Sum(a => (double)a.Successes);
        double failures = n - successes;
        if (successes == 0 || failures == 0)
        {
            return new OmnibusResult { Reason = UninformativeReason.ZeroVariance };
        }

        double chi = 0;
        foreach (var arm in arms)
        {
            double es = arm.Count * successes / n;
            double ef = arm.Count * failures / n;
            double ds = arm.Successes - es;
            double df = arm.Count - arm.Successes - ef;
            chi += (ds * ds / es) + (df * df / ef);
        }
        int dof = arms.Count - 1;
        double p = Tails.ChiSquareUpper(chi, dof);
        return new OmnibusResult { Statistic = chi, Df = dof, PValue = p, Significant = p < alpha };
    }
}
