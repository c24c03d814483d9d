namespace Verdict.Experimentation.Statistics;

/// <summary>
/// Mann–Whitney / Wilcoxon rank-sum test with the normal approximation, tie-corrected variance and a
/// continuity correction of 0.5 toward zero (as R's <c>wilcox.test(exact = FALSE, correct = TRUE)</c>), plus the
/// Hodges–Lehmann shift (median of all treatment − control differences) with its distribution-free interval.
/// </summary>
/// <remarks>
/// The interval takes the order statistics k and N − k + 1 of the N = n·m pairwise differences, with
/// k = ⌊N/2 − z(1−α/2)·σ⌋ (at least 1) and σ the tie-corrected standard deviation of the rank statistic.
/// Order statistics of the N differences are found without forming them (<see cref="PairwiseDifferences"/>).
/// Both inputs are sorted in place. Guard order: an empty arm, then all values equal.
/// </remarks>
internal static class MannWhitneyTest
{
    public const string Name = "mann-whitney";

    public static Comparison Compute(string control, string treatment, Span<double> c, Span<double> t, double alpha)
    {
        var empty = new Comparison { Control = control, Treatment = treatment, Test = Name };
        if (c.Length == 0 || t.Length == 0)
        {
            return empty with { Reason = UninformativeReason.EmptyArm };
        }

        SortUnlessSorted(c);
        SortUnlessSorted(t);
        double n = t.Length, m = c.Length;
        (double rankSumT, double tieSum) = RankSum(t, c);
        double w = rankSumT - (n * (n + 1) / 2);
        double total = n + m;
        double sigma2 = n * m / 12 * (total + 1 - (tieSum / (total * (total - 1))));
        if (sigma2 <= 0)
        {
            return empty with { Diff = 0, Reason = UninformativeReason.ZeroVariance };
        }

        double sigma = Math.Sqrt(sigma2);
        double centred = w - (n * m / 2);
        double z = (centred - (Math.Sign(centred) * 0.5)) / sigma;
        double p = Tails.NormalTwoSided(z);

        var differences = new PairwiseDifferences(t, c);
        long pairs = differences.Count;
        double shift = pairs % 2 == 1
            ? differences.OrderStatistic((pairs + 1) / 2)
            : (differences.OrderStatistic(pairs / 2) + differences.OrderStatistic((pairs / 2) + 1)) / 2;
        long k = Math.Max(1, (long)Math.Floor((pairs / 2.0) - (Tails.NormalCritical(alpha) * sigma)));
        return empty with
        {
            Statistic = z,
            Diff = shift,
            CiLow = differences.OrderStatistic(k),
            CiHigh = differences.OrderStatistic(pairs - k + 1),
            PValue = p,
            Significant = p < alpha,
        };
    }

    /// <summary>Sorts in place, after one pass that finds most callers' samples sorted already.</summary>
    private static void SortUnlessSorted(Span<double> values)
    {
        for (int i = 1; i < values.Length; i++)
        {
            if (!(values[i - 1] <= values[i]))
            {
                values.Sort();
                return;
            }
        }
    }

    /// <summary>The median of a sorted array (mean of the two middle values for an even length).</summary>
    public static double? MedianOfSorted(ReadOnlySpan<double> sorted) => sorted.Length == 0
        ? null
        : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;

    /// <summary>Rank sum of <paramref name="t"/> in the pooled sample (mid-ranks for ties) and Σ(τ³ − τ) over tie groups.</summary>
    private static (double RankSum, double TieSum) RankSum(ReadOnlySpan<double> t, ReadOnlySpan<double> c)
    {
        int i = 0, j = 0;
        double rankSum = 0, tieSum = 0;
        long position = 0;
        while (i < t.Length || j < c.Length)
        {
            double value = j >= c.Length || (i < t.Length && t[i] <= c[j]) ? t[i] : c[j];
            long inT = 0, inC = 0;
            while (i < t.Length && t[i] == value)
            {
                inT++;
                i++;
            }
            while (j < c.Length && c[j] == value)
            {
                inC++;
                j++;
            }
            long tied = inT + inC;
            double midRank = position + ((tied + 1) / 2.0);
            rankSum += inT * midRank;
            tieSum += ((double)tied * tied * tied) - tied;
            position += tied;
        }
        return (rankSum, tieSum);
    }
}
