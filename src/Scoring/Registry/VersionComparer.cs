namespace Verdict.Scoring.Registry;

/// <summary>
/// Orders versions the way people read them: dot-separated parts, numeric parts compared as numbers
/// (<c>2 &lt; 10</c>, <c>1.9 &lt; 1.10</c>), other parts ordinally.
/// </summary>
internal sealed class VersionComparer : IComparer<string>
{
    public static VersionComparer Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }
        if (x is null || y is null)
        {
            return x is null ? -1 : 1;
        }
        var xs = x.Split('.', '-', '_');
        var ys = y.Split('.', '-', '_');
        for (var i = 0; i < Math.Max(xs.Length, ys.Length); i++)
        {
            if (i >= xs.Length || i >= ys.Length)
            {
                return xs.Length.CompareTo(ys.Length);
            }
            var bothNumbers = long.TryParse(xs[i], out var a) & long.TryParse(ys[i], out var b);
            var order = bothNumbers ? a.CompareTo(b) : string.CompareOrdinal(xs[i], ys[i]);
            if (order != 0)
            {
                return order;
            }
        }
        return string.CompareOrdinal(x, y);
    }
}
