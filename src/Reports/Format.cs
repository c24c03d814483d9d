using System.Globalization;

namespace Verdict.Reports;

/// <summary>Numbers written for people: "+3.1 pts", "−21 s (−6.6%)", "3 min 12 s", "p &lt; 0.001".</summary>
internal static class Format
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>A rate as a percentage: 0.8412 → "84.1%".</summary>
    public static string Percent(double? rate) => rate is double r ? (r * 100).ToString("0.0", C) + "%" : "—";

    /// <summary>A difference of rates in percentage points, signed: 0.031 → "+3.1 pts".</summary>
    public static string Points(double? diff) => diff is double d ? Signed(d * 100, "0.0") + " pts" : "—";

    /// <summary>A relative change, signed: −0.066 → "−6.6%".</summary>
    public static string Relative(double? rel) => rel is double r ? Signed(r * 100, "0.0") + "%" : "—";

    /// <summary>A duration: 42 → "42 s", 192 → "3 min 12 s", 5400 → "1 h 30 min".</summary>
    public static string Duration(double? seconds)
    {
        if (seconds is not double s)
        {
            return "—";
        }
        double a = Math.Abs(s);
        string text = a < 60 ? a.ToString(a < 10 ? "0.0" : "0", C) + " s"
            : a < 3600 ? $"{Math.Floor(a / 60).ToString("0", C)} min {Math.Round(a % 60).ToString("0", C)} s"
            : $"{Math.Floor(a / 3600).ToString("0", C)} h {Math.Round(a % 3600 / 60).ToString("0", C)} min";
        return s < 0 ? "−" + text : text;
    }

    /// <summary>A signed duration difference: −21 → "−21 s".</summary>
    public static string SignedDuration(double? seconds) => seconds is double s ? (s >= 0 ? "+" : "") + Duration(s) : "—";

    /// <summary>A p-value as people read it: "p = 0.042", "p &lt; 0.001".</summary>
    public static string P(double? p) => p switch
    {
        null => "—",
        < 0.001 => "p < 0.001",
        double v => "p = " + v.ToString(v < 0.01 ? "0.000" : "0.00", C),
    };

    public static string Count(long n) => n.ToString("N0", C);

    /// <summary>A latency: "0.42 ms", "12.3 ms", "1,250 ms"; "—" when unknown.</summary>
    public static string Milliseconds(double? ms) => ms switch
    {
        null => "—",
        < 10 => ms.Value.ToString("0.00", C) + " ms",
        < 100 => ms.Value.ToString("0.0", C) + " ms",
        _ => ms.Value.ToString("N0", C) + " ms",
    };

    public static string Date(DateTimeOffset? t) => t is { } v ? v.UtcDateTime.ToString("d MMM yyyy", C) : "—";

    private static string Signed(double value, string format)
    {
        string text = Math.Abs(value).ToString(format, C);
        return text.Trim('0', '.').Length == 0 ? text : (value < 0 ? "−" : "+") + text;
    }
}
