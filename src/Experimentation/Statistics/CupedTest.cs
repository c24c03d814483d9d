namespace Verdict.Experimentation.Statistics;

/// <summary>
/// CUPED: Welch's t-test on handling seconds adjusted by a pre-experiment covariate x (the rep's mean handling time
/// before the experiment, say): y' = y − θ·(x − x̄), with θ the within-arm pooled regression slope
/// Σ cov(x, y) / Σ var(x). The covariate is independent of the assignment, so the difference of adjusted means
/// estimates the same effect as the raw one, with the variance the covariate explains removed.
/// </summary>
/// <remarks>θ is treated as known, as CUPED is usually run (its estimation error is O(1/n)). Guard order: an arm with
/// fewer than two emails with a covariate, a covariate that does not vary.</remarks>
internal static class CupedTest
{
    public const string Name = "welch-t-cuped";

    public static Comparison Compute(string control, string treatment, RatioSummary c, RatioSummary t, double alpha)
    {
        var empty = new Comparison { Control = control, Treatment = treatment, Test = Name };
        if (c.Units < 2 || t.Units < 2)
        {
            return empty with { Reason = c.Units == 0 || t.Units == 0 ? UninformativeReason.EmptyArm : UninformativeReason.TooFewObservations };
        }
        double sxx = c.M2X + t.M2X;
        if (sxx <= 0)
        {
            return empty with { Reason = UninformativeReason.ZeroVariance };
        }
        double theta = (c.CXY + t.CXY) / sxx;
        double grand = ((c.MeanX * c.Units) + (t.MeanX * t.Units)) / (c.Units + t.Units);
        MeanSummary Adjusted(RatioSummary s) =>
            new(s.Units, s.MeanY - (theta * (s.MeanX - grand)), Math.Max(0, s.M2Y - (2 * theta * s.CXY) + (theta * theta * s.M2X)));
        var result = WelchTTest.Compute(control, treatment, Adjusted(c), Adjusted(t), alpha) with { Test = Name };
        double before = c.M2Y + t.M2Y, after = Adjusted(c).M2 + Adjusted(t).M2;
        return result with { VarianceReduction = before > 0 ? 1 - (after / before) : null };
    }
}
