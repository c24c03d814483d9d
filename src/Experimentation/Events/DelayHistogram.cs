namespace Verdict.Experimentation.Events;

/// <summary>
/// Delays in seconds, counted in bins 1 % wide on a log scale: quantiles to within 1 % in a fixed 16 kB, whatever
/// the number of outcomes, and two histograms add.
/// </summary>
/// <remarks>Bin 0 holds delays up to one second (an outcome logged before its exposure counts as 0); bin k ≥ 1 holds (1.01^(k−1), 1.01^k].</remarks>
internal sealed class DelayHistogram
{
    private const int BinCount = 2048;
    private static readonly double LogBase = Math.Log(1.01);
    private readonly long[] _counts = new long[BinCount];

    public long Count { get; private set; }

    public void Add(double seconds)
    {
        int bin = seconds <= 1 ? 0 : Math.Min(BinCount - 1, 1 + (int)Math.Floor(Math.Log(seconds) / LogBase));
        _counts[bin]++;
        Count++;
    }

    /// <summary>The bins that hold something, as (bin, count): what a partial aggregate stores.</summary>
    public IEnumerable<(int Bin, long Count)> Bins()
    {
        for (int bin = 0; bin < BinCount; bin++)
        {
            if (_counts[bin] > 0)
            {
                yield return (bin, _counts[bin]);
            }
        }
    }

    /// <summary>Adds <paramref name="count"/> values to <paramref name="bin"/> (a merged partial's); false when the bin does not exist.</summary>
    public bool AddBin(int bin, long count)
    {
        if (bin is < 0 or >= BinCount || count < 0)
        {
            return false;
        }
        _counts[bin] += count;
        Count += count;
        return true;
    }

    /// <summary>The <paramref name="q"/> quantile (the smallest delay with at least q of the delays at or below it), as its bin's geometric middle; null when empty.</summary>
    public double? Quantile(double q)
    {
        if (Count == 0)
        {
            return null;
        }
        long rank = Math.Max(1, (long)Math.Ceiling(q * Count));
        long seen = 0;
        for (int bin = 0; bin < BinCount; bin++)
        {
            seen += _counts[bin];
            if (seen >= rank)
            {
                return bin == 0 ? 0 : Math.Exp((bin - 0.5) * LogBase);
            }
        }
        return Math.Exp((BinCount - 1.5) * LogBase);
    }
}
