namespace Verdict.Experimentation.Statistics;

/// <summary>
/// Multiple-comparison adjustments of a family of p-values, as R's <c>p.adjust</c>: Holm (family-wise
/// error) and Benjamini–Hochberg (false discovery rate). Null p-values are left out of the family.
/// </summary>
internal static class PValueAdjustment
{
    public static double?[] Holm(IReadOnlyList<double?> p)
    {
        ArgumentNullException.ThrowIfNull(p);
        int[] order = Present(p).OrderBy(i => p[i]!.Value).ToArray();
        var adjusted = new double?[p.Count];
        int m = order.Length;
        double running = 0;
        for (int rank = 0; rank < m; rank++)
        {
            running = Math.Max(running, Math.Min(1, (m - rank) * p[order[rank]]!.Value));
            adjusted[order[rank]] = running;
        }
        return adjusted;
    }

    public static double?[] BenjaminiHochberg(IReadOnlyList<double?> p)
    {
        ArgumentNullException.ThrowIfNull(p);
        int[] order = Present(p).OrderBy(i => p[i]!.Value).ToArray();
        var adjusted = new double?[p.Count];
        int m = order.Length;
        double running = 1;
        for (int rank = m - 1; rank >= 0; rank--)
        {
            running = Math.Min(running, Math.Min(1, (double)m / (rank + 1) * p[order[rank]]!.Value));
            adjusted[order[rank]] = running;
        }
        return adjusted;
    }

    private static IEnumerable<int> Present(IReadOnlyList<double?> p) => Enumerable.Range(0, p.Count).Where(i => p[i] is not null);
}
