namespace Verdict.Experimentation.Statistics;

/// <summary>
/// Sample-ratio mismatch: Pearson's chi-square goodness of fit of the units per arm against the planned
/// weights, any number of arms. A mismatch is p &lt; 0.001, a warning p &lt; 0.01.
/// </summary>
/// <remarks>
/// Guard order: an arm seen in the data but absent from the weights, fewer than two arms, no units.
/// A planned arm with no units takes part with a count of zero (a strong mismatch, as it should be).
/// </remarks>
internal static class SampleRatioTest
{
    public const double MismatchLevel = 0.001;
    public const double WarningLevel = 0.01;

    public static SampleRatioResult Compute(IReadOnlyDictionary<string, long> units, IReadOnlyDictionary<string, double>? weights)
    {
        ArgumentNullException.ThrowIfNull(units);
        bool given = weights is { Count: > 0 };
        IReadOnlyDictionary<string, double> plan = given ? weights! : units.Keys.ToDictionary(k => k, _ => 1.0, StringComparer.Ordinal);

        string? unknown = units.Keys.Where(arm => !plan.ContainsKey(arm) || plan[arm] <= 0).Order(StringComparer.Ordinal).FirstOrDefault();
        if (unknown is not null && units[unknown] > 0)
        {
            return new SampleRatioResult { WeightsGiven = given, Reason = UninformativeReason.ArmNotInWeights, ReasonDetail = unknown };
        }

        var arms = plan.Where(kv => kv.Value > 0).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
        double weightSum = arms.Sum(a => plan[a]);
        var shares = arms.ToDictionary(a => a, a => plan[a] / weightSum, StringComparer.Ordinal);
        if (arms.Count < 2)
        {
            return new SampleRatioResult { WeightsGiven = given, ExpectedShares = shares, Reason = UninformativeReason.SingleArm };
        }

        long total = arms.Sum(a => units.GetValueOrDefault(a));
        if (total == 0)
        {
            return new SampleRatioResult { WeightsGiven = given, ExpectedShares = shares, Reason = UninformativeReason.NoData };
        }

        double chi = 0;
        foreach (string arm in arms)
        {
            double expected = total * shares[arm];
            double d = units.GetValueOrDefault(arm) - expected;
            chi += d * d / expected;
        }
        int df = arms.Count - 1;
        double p = Tails.ChiSquareUpper(chi, df);
        return new SampleRatioResult
        {
            ChiSquare = chi,
            Df = df,
            PValue = p,
            Mismatch = p < MismatchLevel,
            Warning = p >= MismatchLevel && p < WarningLevel,
            ExpectedShares = shares,
            WeightsGiven = given,
        };
    }
}
