namespace Verdict.Experimentation.Statistics;

/// <summary>
/// Two-proportion z-test: pooled variance for the p-value (the test of equal rates), unpooled (Wald)
/// variance for the interval of the difference. Two-sided.
/// </summary>
/// <remarks>
/// Relative lift uses the delta-method interval when every arm has at least
/// <see cref="MinCellForDelta"/> successes and as many failures; otherwise (small samples, rates near 0 or 1)
/// it uses the log risk ratio interval, with 0.5 added to every cell when a count is zero.
/// Guard order: an empty arm, then zero pooled variance (all correct or all wrong in both arms).
/// </remarks>
internal static class TwoProportionZTest
{
    public const string Name = "two-proportion-z";
    public const int MinCellForDelta = 10;

    public static Comparison Compute(string control, string treatment, ProportionSummary c, ProportionSummary t, double alpha)
    {
        var empty = new Comparison { Control = control, Treatment = treatment, Test = Name };
        if (c.Count == 0 || t.Count == 0)
        {
            return empty with { Reason = UninformativeReason.EmptyArm };
        }

        double pc = (double)c.Successes / c.Count;
        double pt = (double)t.Successes / t.Count;
        double pooled = (double)(c.Successes + t.Successes) / (c.Count + t.Count);
        double pooledVar = pooled * (1 - pooled) * ((1.0 / c.Count) + (1.0 / t.Count));
        double diff = pt - pc;
        if (pooledVar <= 0)
        {
            return empty with { Diff = diff, Reason = UninformativeReason.ZeroVariance };
        }

        double varC = pc * (1 - pc) / c.Count;
        double varT = pt * (1 - pt) / t.Count;
        var result = NormalApproximation.WithDifference(empty, diff, Math.Sqrt(varC + varT), diff / Math.Sqrt(pooledVar), alpha) with { CiMethod = "wald" };
        if (MinCell(c, t) < MinCellForDelta)
        {
            // Wald's interval collapses to a point at rates of 0 or 1 and leaves [−1, 1] near them: Newcombe's hybrid
            // score interval, made of the arms' Wilson intervals, does neither.
            double z = Tails.NormalCritical(alpha);
            var (lt, ut) = Wilson(t.Successes, t.Count, z);
            var (lc, uc) = Wilson(c.Successes, c.Count, z);
            result = result with
            {
                CiLow = Math.Max(-1, diff - Math.Sqrt(((pt - lt) * (pt - lt)) + ((uc - pc) * (uc - pc)))),
                CiHigh = Math.Min(1, diff + Math.Sqrt(((ut - pt) * (ut - pt)) + ((pc - lc) * (pc - lc)))),
                CiMethod = "newcombe",
            };
        }
        if (c.Successes == 0)
        {
            return result with { RelLiftReason = UninformativeReason.ZeroControlMean };
        }
        bool deltaOk = MinCell(c, t) >= MinCellForDelta;
        return deltaOk
            ? NormalApproximation.WithRelativeLiftByDelta(result, pc, pt, varC, varT, alpha)
            : WithLogRiskRatio(result, c, t, (pt / pc) - 1, Tails.NormalCritical(alpha));
    }

    private static long MinCell(ProportionSummary c, ProportionSummary t) =>
        Math.Min(Math.Min(c.Successes, c.Count - c.Successes), Math.Min(t.Successes, t.Count - t.Successes));

    /// <summary>Wilson's score interval for a rate: inside [0, 1], never empty, sound near 0 and 1; (0, 1) without trials.</summary>
    internal static (double Low, double High) Wilson(long successes, long count, double z)
    {
        if (count == 0)
        {
            return (0, 1);
        }
        double n = count, phat = (double)successes / count, z2 = z * z;
        double centre = (phat + (z2 / (2 * n))) / (1 + (z2 / n));
        double half = z / (1 + (z2 / n)) * Math.Sqrt((phat * (1 - phat) / n) + (z2 / (4 * n * n)));
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>The log risk ratio interval, with 0.5 added to every cell when a count is zero or full.</summary>
    private static Comparison WithLogRiskRatio(Comparison result, ProportionSummary c, ProportionSummary t, double rel, double crit)
    {
        double sc = c.Successes, nc = c.Count, st = t.Successes, nt = t.Count;
        if (sc == 0 || st == 0 || sc == nc || st == nt)
        {
            sc += 0.5;
            st += 0.5;
            nc += 1;
            nt += 1;
        }
        double logRr = Math.Log((st / nt) / (sc / nc));
        double seLog = Math.Sqrt((1 / st) - (1 / nt) + (1 / sc) - (1 / nc));
        return result with
        {
            RelLift = rel,
            RelCiLow = Math.Exp(logRr - (crit * seLog)) - 1,
            RelCiHigh = Math.Exp(logRr + (crit * seLog)) - 1,
            RelCiMethod = "log-risk-ratio",
        };
    }
}
