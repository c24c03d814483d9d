namespace Verdict.Experimentation.Statistics;

/// <summary>
/// z-test on the difference of two unit-level ratio metrics (Σx / Σy per arm) with delta-method variances:
/// Var(R) ≈ (1/n)·(s²x/μy² − 2·μx·sxy/μy³ + μx²·s²y/μy⁴). Two-sided.
/// </summary>
/// <remarks>
/// Used when a randomization unit has several emails, so that emails of one unit are not treated as
/// independent. Guard order: an empty arm, fewer than two units, a zero denominator, zero variance.
/// </remarks>
internal static class DeltaMethodTest
{
    public const string Name = "delta-method-z";

    public static double? RatioVariance(RatioSummary s)
    {
        if (s.Units < 2 || s.MeanY == 0)
        {
            return null;
        }
        double n = s.Units;
        double vx = s.M2X / (n - 1), vy = s.M2Y / (n - 1), cxy = s.CXY / (n - 1);
        double my = s.MeanY, mx = s.MeanX;
        double v = ((vx / (my * my)) - (2 * mx * cxy / (my * my * my)) + (mx * mx * vy / (my * my * my * my))) / n;
        return Math.Max(0, v);
    }

    public static Comparison Compute(string control, string treatment, RatioSummary c, RatioSummary t, double alpha)
    {
        var empty = new Comparison { Control = control, Treatment = treatment, Test = Name };
        if (c.Units == 0 || t.Units == 0)
        {
            return empty with { Reason = UninformativeReason.EmptyArm };
        }
        if (c.Units < 2 || t.Units < 2)
        {
            return empty with { Reason = UninformativeReason.TooFewObservations };
        }
        if (c.MeanY == 0 || t.MeanY == 0)
        {
            return empty with { Reason = UninformativeReason.ZeroDenominator };
        }

        double rc = c.MeanX / c.MeanY, rt = t.MeanX / t.MeanY;
        double vc = RatioVariance(c)!.Value, vt = RatioVariance(t)!.Value;
        double diff = rt - rc;
        if (vc + vt <= 0)
        {
            return empty with { Diff = diff, Reason = UninformativeReason.ZeroVariance };
        }

        var result = NormalApproximation.WithDifference(empty, diff, Math.Sqrt(vc + vt), diff / Math.Sqrt(vc + vt), alpha);
        return NormalApproximation.WithRelativeLiftByDelta(result, rc, rt, vc, vt, alpha);
    }
}
