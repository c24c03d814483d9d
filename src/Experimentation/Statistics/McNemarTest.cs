using MathNet.Numerics.Distributions;

namespace Verdict.Experimentation.Statistics;

/// <summary>
/// Two models scored the same emails (the served one and a shadow): McNemar's test on the discordant pairs, as R's
/// <c>mcnemar.test(correct = TRUE)</c>, its exact version <c>binom.test(b, b + c)</c>, and the paired Wald interval of
/// the accuracy difference. Pairing removes the between-email variance a split test carries, so far fewer emails
/// tell two models apart.
/// </summary>
internal static class McNemarTest
{
    public const string Name = "mcnemar";

    /// <param name="served">The served model.</param>
    /// <param name="shadow">The shadow model.</param>
    /// <param name="n">Labelled emails both scored.</param>
    /// <param name="both">Emails both got right.</param>
    /// <param name="servedOnly">Emails only the served model got right (b).</param>
    /// <param name="shadowOnly">Emails only the shadow got right (c).</param>
    /// <param name="alpha">Significance level of the interval.</param>
    public static PairedComparison Compute(string served, string shadow, long n, long both, long servedOnly, long shadowOnly, double alpha)
    {
        var result = new PairedComparison
        {
            ServedModel = served,
            ShadowModel = shadow,
            N = n,
            ServedOnlyCorrect = servedOnly,
            ShadowOnlyCorrect = shadowOnly,
        };
        if (n == 0)
        {
            return result with { Reason = UninformativeReason.NoData };
        }
        double b = servedOnly, c = shadowOnly, total = n;
        double diff = (c - b) / total;
        double variance = (((b + c) / total) - (diff * diff)) / total;
        double half = Tails.NormalCritical(alpha) * Math.Sqrt(Math.Max(0, variance));
        result = result with
        {
            AccuracyServed = (both + b) / total,
            AccuracyShadow = (both + c) / total,
            Diff = diff,
            CiLow = Math.Max(-1, diff - half),
            CiHigh = Math.Min(1, diff + half),
        };
        long discordant = servedOnly + shadowOnly;
        if (discordant == 0)
        {
            // The two models agree on every email: nothing to test, and the difference is exactly 0.
            return result with { Reason = UninformativeReason.ZeroVariance };
        }
        double yates = servedOnly != shadowOnly ? 1 : 0;
        double statistic = Math.Pow(Math.Abs(b - c) - yates, 2) / (b + c);
        // binom.test(b, b + c, 0.5): the distribution is symmetric, so the two-sided p-value is twice the smaller tail.
        double exact = servedOnly == shadowOnly ? 1 : Math.Min(1, 2 * Binomial.CDF(0.5, (int)discordant, Math.Min(servedOnly, shadowOnly)));
        return result with { Statistic = statistic, PValue = Tails.ChiSquareUpper(statistic, 1), PValueExact = exact };
    }
}

/// <summary>A served model against a shadow model on the same labelled emails.</summary>
public sealed record PairedComparison
{
    /// <summary>The model that answered.</summary>
    public required string ServedModel { get; init; }

    /// <summary>The model that scored the same emails unserved.</summary>
    public required string ShadowModel { get; init; }

    /// <summary>Labelled emails both scored.</summary>
    public long N { get; init; }

    /// <summary>Emails only the served model got right (b).</summary>
    public long ServedOnlyCorrect { get; init; }

    /// <summary>Emails only the shadow got right (c).</summary>
    public long ShadowOnlyCorrect { get; init; }

    /// <summary>The served model's accuracy on these emails.</summary>
    public double? AccuracyServed { get; init; }

    /// <summary>The shadow's accuracy on these emails.</summary>
    public double? AccuracyShadow { get; init; }

    /// <summary>Shadow − served accuracy = (c − b) / n.</summary>
    public double? Diff { get; init; }

    /// <summary>Paired Wald interval: Var = ((b + c)/n − diff²)/n.</summary>
    public double? CiLow { get; init; }

    /// <summary>Upper end of the interval.</summary>
    public double? CiHigh { get; init; }

    /// <summary><c>mcnemar</c>.</summary>
    public string Test { get; init; } = McNemarTest.Name;

    /// <summary>McNemar's chi-square with the continuity correction (R's <c>mcnemar.test(correct = TRUE)</c>).</summary>
    public double? Statistic { get; init; }

    /// <summary>Its upper-tail p-value, one degree of freedom.</summary>
    public double? PValue { get; init; }

    /// <summary>The exact p-value, R's <c>binom.test(b, b + c)</c>.</summary>
    public double? PValueExact { get; init; }

    /// <summary>Why the test could not be made.</summary>
    public UninformativeReason? Reason { get; init; }

    /// <summary>Every email both scored, labelled or not.</summary>
    public long Shadowed { get; init; }

    /// <summary>The share of those on which the shadow predicted the served model's intent.</summary>
    public double? Agreement { get; init; }

    /// <summary>Lower end of the agreement's Wilson interval.</summary>
    public double? AgreementLow { get; init; }

    /// <summary>Upper end of the agreement's Wilson interval.</summary>
    public double? AgreementHigh { get; init; }

    /// <summary>The shadow's median scoring latency in ms (to within 1 %), when its events carry <c>latencyMs</c>: what serving it would cost.</summary>
    public double? ShadowLatencyP50Ms { get; init; }

    /// <summary>Its 95th percentile latency in ms.</summary>
    public double? ShadowLatencyP95Ms { get; init; }
}
