using Verdict.Experimentation.Events;

namespace Verdict.Experimentation.Statistics;

/// <summary>
/// Order statistics of the n·m differences t[i] − c[j] of two sorted samples, found without forming them
/// (Hodges–Lehmann shift and its interval).
/// </summary>
/// <remarks>
/// Each sample is held as its distinct values with multiplicities, so tied values (handling times logged in
/// whole seconds or milliseconds) cost one entry. A counting pass, O(distinct n + distinct m), gives how many
/// differences lie at or below a value, and how many distinct (t, c) value pairs make them up. A bracket
/// (lo, hi] is narrowed on the value until it holds few distinct pairs, which are then listed and sorted.
/// Each step probes the two values that linear interpolation of the counts puts a little below and above the
/// wanted rank, and bisects as well when that did not halve the bracket; when even that stalls (many pairs
/// share nearly one value) it steps to the next distinct difference, so the search always ends. Probes are
/// kept, so order statistics near each other (a median and its interval) share their counting passes.
/// </remarks>
internal sealed class PairwiseDifferences
{
    private const int DefaultCandidateLimit = 1 << 21;

    private readonly double[] _t;
    private readonly int[] _tWeight;
    private readonly double[] _c;
    // _cAtOrAbove[j]: how many control values are ≥ _c[j]; one extra 0 at the end.
    private readonly int[] _cAtOrAbove;
    private readonly long _distinctPairs;
    private readonly int _candidateLimit;
    private readonly List<Probe> _probes = [];

    public PairwiseDifferences(ReadOnlySpan<double> sortedT, ReadOnlySpan<double> sortedC, int? candidateLimit = null)
    {
        if (sortedT.IsEmpty || sortedC.IsEmpty)
        {
            throw new ArgumentException("both samples need at least one value");
        }
        (_t, _tWeight) = Runs(sortedT);
        (_c, int[] cWeight) = Runs(sortedC);
        _cAtOrAbove = new int[_c.Length + 1];
        for (int j = _c.Length - 1; j >= 0; j--)
        {
            _cAtOrAbove[j] = _cAtOrAbove[j + 1] + cWeight[j];
        }
        Count = (long)sortedT.Length * sortedC.Length;
        _distinctPairs = (long)_t.Length * _c.Length;
        // Listing costs about one counting pass once no more distinct pairs remain than values.
        _candidateLimit = candidateLimit ?? Math.Min(DefaultCandidateLimit, Math.Max(64, _t.Length + _c.Length));
    }

    /// <summary>n·m, the number of differences.</summary>
    public long Count { get; }

    /// <summary>The k-th smallest (1-based) difference.</summary>
    public double OrderStatistic(long k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, Count);
        var lo = Measure(_t[0] - _c[^1]);
        var hi = new Probe(_t[^1] - _c[0], Count, _distinctPairs);
        if (lo.Count >= k)
        {
            return lo.Value;
        }
        foreach (var p in _probes)
        {
            if (p.Count < k && p.Value > lo.Value)
            {
                lo = p;
            }
            else if (p.Count >= k && p.Value < hi.Value)
            {
                hi = p;
            }
        }
        // Invariant: count(lo) < k <= count(hi).
        while (hi.Distinct - lo.Distinct > _candidateLimit)
        {
            long before = hi.Count - lo.Count;
            double span = hi.Value - lo.Value;
            long quarter = _candidateLimit / 4;
            double below = lo.Value + (span * ((Math.Max(k - quarter, lo.Count) - lo.Count) / (double)before));
            double above = lo.Value + (span * ((Math.Min(k + quarter, hi.Count) - lo.Count) / (double)before));
            Narrow(below, k, ref lo, ref hi);
            Narrow(above, k, ref lo, ref hi);
            if (Stalled(before, lo, hi))
            {
                Narrow(lo.Value + ((hi.Value - lo.Value) / 2), k, ref lo, ref hi);
            }
            if (Stalled(before, lo, hi))
            {
                var next = Measure(SmallestAbove(lo.Value));
                if (next.Count >= k)
                {
                    return next.Value;
                }
                lo = next;
            }
        }
        return Select(lo, hi, k);
    }

    private bool Stalled(long before, Probe lo, Probe hi) =>
        (hi.Count - lo.Count) * 2 > before && hi.Distinct - lo.Distinct > _candidateLimit;

    private void Narrow(double value, long k, ref Probe lo, ref Probe hi)
    {
        if (!(value > lo.Value && value < hi.Value))
        {
            return;
        }
        var p = Measure(value);
        if (p.Count >= k)
        {
            hi = p;
        }
        else
        {
            lo = p;
        }
    }

    /// <summary>Counts the differences ≤ <paramref name="d"/> and the distinct value pairs behind them, in one pass.</summary>
    private Probe Measure(double d)
    {
        long count = 0, distinct = 0;
        int j = 0, m = _c.Length;
        for (int i = 0; i < _t.Length; i++)
        {
            // t[i] − c[j] falls as j grows; skip the c[j] too small for t[i] (monotone in i).
            double ti = _t[i];
            while (j < m && ti - _c[j] > d)
            {
                j++;
            }
            count += (long)_tWeight[i] * _cAtOrAbove[j];
            distinct += m - j;
        }
        var probe = new Probe(d, count, distinct);
        _probes.Add(probe);
        return probe;
    }

    /// <summary>The smallest difference greater than <paramref name="d"/>.</summary>
    private double SmallestAbove(double d)
    {
        double best = double.PositiveInfinity;
        int j = 0;
        for (int i = 0; i < _t.Length; i++)
        {
            while (j < _c.Length && _t[i] - _c[j] > d)
            {
                j++;
            }
            // c[j − 1] is the largest c leaving a difference above d for this t[i].
            if (j > 0)
            {
                best = Math.Min(best, _t[i] - _c[j - 1]);
            }
        }
        return best;
    }

    /// <summary>Lists the distinct pairs with a difference in (lo, hi] and walks their weights to rank k.</summary>
    private double Select(Probe lo, Probe hi, long k)
    {
        int expected = (int)(hi.Distinct - lo.Distinct);
        var values = LargeArrays.Allocate<double>(expected, zeroed: false);
        var weights = LargeArrays.Allocate<long>(expected, zeroed: false);
        int n = 0, jLo = 0, jHi = 0;
        for (int i = 0; i < _t.Length; i++)
        {
            // Differences ≤ lo are at j ≥ jLo; differences ≤ hi are at j ≥ jHi (jHi ≤ jLo).
            while (jLo < _c.Length && _t[i] - _c[jLo] > lo.Value)
            {
                jLo++;
            }
            while (jHi < _c.Length && _t[i] - _c[jHi] > hi.Value)
            {
                jHi++;
            }
            for (int j = jHi; j < jLo; j++)
            {
                values[n] = _t[i] - _c[j];
                weights[n++] = (long)_tWeight[i] * (_cAtOrAbove[j] - _cAtOrAbove[j + 1]);
            }
        }
        Array.Sort(values, weights);
        long rank = lo.Count;
        for (int i = 0; i < n; i++)
        {
            rank += weights[i];
            if (rank >= k)
            {
                return values[i];
            }
        }
        return hi.Value;
    }

    private static (double[] Values, int[] Weights) Runs(ReadOnlySpan<double> sorted)
    {
        int distinct = 1;
        for (int i = 1; i < sorted.Length; i++)
        {
            distinct += sorted[i] != sorted[i - 1] ? 1 : 0;
        }
        var values = LargeArrays.Allocate<double>(distinct, zeroed: false);
        var weights = LargeArrays.Allocate<int>(distinct, zeroed: true);
        int r = -1;
        for (int i = 0; i < sorted.Length; i++)
        {
            if (i == 0 || sorted[i] != sorted[i - 1])
            {
                values[++r] = sorted[i];
            }
            weights[r]++;
        }
        return (values, weights);
    }

    private readonly record struct Probe(double Value, long Count, long Distinct);
}
