namespace Verdict.Experimentation.Statistics;

/// <summary>
/// Mann–Whitney / Wilcoxon rank-sum test with the normal approximation, tie-corrected variance and a
/// continuity correction of 0.5 toward zero (as R's <c>wilcox.test(exact = FALSE, correct = TRUE)</c>), plus the
/// Hodges–Lehmann shift (median of all treatment − control differences) with its distribution-free interval.
/// </summary>
/// <remarks>
/// The interval takes the order statistics k and N − k + 1 of the N = n·m pairwise differences, with
/// k = ⌊N/2 − z(1−α/2)·σ⌋ (at least 1) and σ the tie-corrected standard deviation of the rank statistic.
/// Order statistics of the N differences are found without forming them: a bisection over the ordered
/// bit patterns of doubles counts, in O(n + m), the differences at or below a candidate. Both inputs are
/// sorted in place. Guard order: an empty arm, then all values equal.
/// </remarks>
internal static class MannWhitneyTest
{
    public const string Name = "mann-whitney";

    public static Comparison Compute(string control, string treatment, double[] c, double[] t, double alpha)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(t);
        var empty = new Comparison { Control = control, Treatment = treatment, Test = Name };
        if (c.Length == 0 || t.Length == 0)
        {
            return empty with { Reason = UninformativeReason.EmptyArm };
        }

        Array.Sort(c);
        Array.Sort(t);
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

        long pairs = t.LongLength * c.LongLength;
        double shift = PairwiseDifferenceOrderStatistic(t, c, (pairs + 1) / 2);
        if (pairs % 2 == 0)
        {
            // The next order statistic is the same value when it is tied, else the smallest difference above it.
            double next = CountAtOrBelow(t, c, shift) > pairs / 2 ? shift : SmallestDifferenceAbove(t, c, shift);
            shift = (shift + next) / 2;
        }
        long k = Math.Max(1, (long)Math.Floor((pairs / 2.0) - (Tails.NormalCritical(alpha) * sigma)));
        return empty with
        {
            Statistic = z,
            Diff = shift,
            CiLow = PairwiseDifferenceOrderStatistic(t, c, k),
            CiHigh = PairwiseDifferenceOrderStatistic(t, c, pairs - k + 1),
            PValue = p,
            Significant = p < alpha,
        };
    }

    /// <summary>The median of a sorted array (mean of the two middle values for an even length).</summary>
    public static double? MedianOfSorted(ReadOnlySpan<double> sorted) => sorted.Length == 0
        ? null
        : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;

    /// <summary>Rank sum of <paramref name="t"/> in the pooled sample (mid-ranks for ties) and Σ(τ³ − τ) over tie groups.</summary>
    private static (double RankSum, double TieSum) RankSum(double[] t, double[] c)
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

    /// <summary>The k-th smallest (1-based) of all differences t[i] − c[j]; both arrays sorted ascending.</summary>
    /// <remarks>
    /// Bisects on the value until at most n + m differences (and no more than <see cref="CandidateLimit"/>) lie in (lo, hi], then lists
    /// those differences and selects among them. Falls back to bisecting the ordered bit patterns when many
    /// differences are equal (ties), which always ends after at most 64 steps.
    /// </remarks>
    internal static double PairwiseDifferenceOrderStatistic(double[] t, double[] c, long k)
    {
        double lo = t[0] - c[^1];
        double hi = t[^1] - c[0];
        long countLo = CountAtOrBelow(t, c, lo);
        if (countLo >= k)
        {
            return lo;
        }
        long countHi = (long)t.Length * c.Length;
        // Invariant: countLo = count(lo) < k <= count(hi) = countHi.
        // Listing costs about one counting pass once no more than n + m candidates remain.
        long limit = Math.Min(CandidateLimit, Math.Max(64, t.Length + c.Length));
        for (int step = 0; step < 200 && countHi - countLo > limit; step++)
        {
            double mid = lo + ((hi - lo) / 2);
            if (mid <= lo || mid >= hi)
            {
                break;
            }
            long count = CountAtOrBelow(t, c, mid);
            if (count >= k)
            {
                (hi, countHi) = (mid, count);
            }
            else
            {
                (lo, countLo) = (mid, count);
            }
        }
        if (countHi - countLo <= limit)
        {
            var candidates = Between(t, c, lo, hi, (int)(countHi - countLo));
            Array.Sort(candidates);
            return candidates[k - countLo - 1];
        }

        long loBits = OrderedBits(lo), hiBits = OrderedBits(hi);
        while (loBits + 1 < hiBits)
        {
            long midBits = (loBits >> 1) + (hiBits >> 1) + (loBits & hiBits & 1);
            if (CountAtOrBelow(t, c, FromOrderedBits(midBits)) >= k)
            {
                hiBits = midBits;
            }
            else
            {
                loBits = midBits;
            }
        }
        return FromOrderedBits(hiBits);
    }

    private const int CandidateLimit = 1 << 21;

    /// <summary>The smallest difference t[i] − c[j] greater than d, in O(n + m).</summary>
    private static double SmallestDifferenceAbove(double[] t, double[] c, double d)
    {
        double best = double.PositiveInfinity;
        int j = 0;
        for (int i = 0; i < t.Length; i++)
        {
            while (j < c.Length && t[i] - c[j] > d)
            {
                j++;
            }
            // c[j − 1] is the largest c leaving a difference above d for this t[i].
            if (j > 0)
            {
                best = Math.Min(best, t[i] - c[j - 1]);
            }
        }
        return best;
    }

    /// <summary>All differences t[i] − c[j] in (lo, hi].</summary>
    private static double[] Between(double[] t, double[] c, double lo, double hi, int expected)
    {
        var result = new double[expected];
        int n = 0, jLo = 0, jHi = 0;
        for (int i = 0; i < t.Length; i++)
        {
            // Differences ≤ lo are at j ≥ jLo; differences ≤ hi are at j ≥ jHi (jHi ≤ jLo).
            while (jLo < c.Length && t[i] - c[jLo] > lo)
            {
                jLo++;
            }
            while (jHi < c.Length && t[i] - c[jHi] > hi)
            {
                jHi++;
            }
            for (int j = jHi; j < jLo; j++)
            {
                result[n++] = t[i] - c[j];
            }
        }
        return result;
    }

    /// <summary>Number of pairs with t[i] − c[j] ≤ d, in O(n + m) for sorted inputs.</summary>
    private static long CountAtOrBelow(double[] t, double[] c, double d)
    {
        long count = 0;
        int j = 0;
        for (int i = 0; i < t.Length; i++)
        {
            // t[i] − c[j] falls as j grows; skip the c[j] too small for t[i] (monotone in i).
            while (j < c.Length && t[i] - c[j] > d)
            {
                j++;
            }
            count += c.Length - j;
        }
        return count;
    }

    private static long OrderedBits(double x)
    {
        long bits = BitConverter.DoubleToInt64Bits(x == 0 ? 0.0 : x);
        return bits >= 0 ? bits : -(bits & long.MaxValue);
    }

    private static double FromOrderedBits(long key) => key >= 0
        ? BitConverter.Int64BitsToDouble(key)
        : -BitConverter.Int64BitsToDouble(-key);
}
