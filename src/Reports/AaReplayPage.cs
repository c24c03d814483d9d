using System.Globalization;
using System.Net;
using System.Text;
using ScottPlot;
using Verdict.Experimentation.Analysis;

namespace Verdict.Reports;

/// <summary>
/// An A/A replay as one offline HTML page: each test's false-positive rate on the random splits with its interval,
/// against alpha, then the table and the verdict on the log's own split.
/// </summary>
public static class AaReplayPage
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>Renders the page.</summary>
    public static string Html(AaReplayResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var rows = new List<FalsePositiveRate> { result.Gate };
        rows.AddRange(result.Tests.Where(t => t.Rate is not null));
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        plot.FigureBackground.Color = Colors.White;
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int i = 0; i < rows.Count; i++)
        {
            var t = rows[i];
            double y = rows.Count - 1 - i;
            var color = Color.FromHex(t.Status == AaReplay.TooMany ? "#c0392b" : i == 0 ? Charts.Palette[1] : Charts.Palette[0]);
            var interval = plot.Add.Line(t.Low!.Value * 100, y, t.High!.Value * 100, y);
            interval.Color = color;
            interval.LineWidth = 3;
            var point = plot.Add.Marker(t.Rate!.Value * 100, y);
            point.Color = color;
            point.Size = 9;
            ticks.AddMajor(y, i == 0 ? "A/A gate" : $"{t.Metric}: {t.Test}{(t.Decisive ? " *" : "")}");
        }
        var nominal = plot.Add.VerticalLine(result.Alpha * 100);
        nominal.Color = Colors.Gray;
        nominal.LinePattern = LinePattern.Dashed;
        nominal.LegendText = "alpha";
        plot.Axes.Left.TickGenerator = ticks;
        plot.Axes.SetLimitsY(-0.7, rows.Count - 0.3);
        plot.Axes.SetLimitsX(0, Math.Max(result.Alpha * 300, rows.Max(r => r.High!.Value) * 110));
        plot.XLabel($"false positives (% of {result.Splits:N0} random splits), {AaReplay.IntervalLevel:P0} interval");
        var svg = plot.GetSvgXml(820, 90 + (26 * rows.Count));
        svg = svg[svg.IndexOf("<svg", StringComparison.Ordinal)..];

        var table = new StringBuilder("<table><thead><tr><th>metric</th><th>test</th><th>decisive</th><th>splits</th><th>false positives</th><th>rate</th><th>interval</th><th>status</th></tr></thead><tbody>");
        foreach (var t in rows)
        {
            table.Append(C, $"<tr><td>{E(t.Metric)}</td><td>{E(t.Test)}</td><td>{(t.Decisive ? "yes" : "no")}</td><td>{Format.Count(t.Splits)}</td><td>{Format.Count(t.FalsePositives)}</td>")
                .Append(C, $"<td>{Format.Percent(t.Rate)}</td><td>{Format.Percent(t.Low)} – {Format.Percent(t.High)}</td><td>{E(t.Status)}</td></tr>");
        }
        table.Append("</tbody></table>");
        string real = result.RealSplit is { } split
            ? $"<h2>The log's own split: {E(split.Status)}</h2><p id=\"real-split\">{E(split.Summary)}</p>"
            : "<p id=\"real-split\">The log has no A/A phase, so its own split (which includes the treatment's effect) is not placed among the random ones.</p>";

        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>")
            .Append(E(result.Experiment)).Append(": A/A replay</title>")
            .Append("<style>body{font-family:'DejaVu Sans',sans-serif;max-width:860px;margin:2em auto;padding:0 8px;color:#222}")
            .Append("table{border-collapse:collapse}td,th{padding:.25em .6em;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}")
            .Append("svg{width:100%;height:auto}</style></head><body>")
            .Append("<h1>").Append(E(result.Experiment)).Append(": A/A replay</h1>")
            .Append(C, $"<p id=\"gate\">{Format.Count(result.Units)} units of the {E(result.Phase)} exposures, split at random into two arms {Format.Count(result.Splits)} times and analysed as <code>verdict analyze</code> does. No split has a real difference, so every rejection is a false positive: each test should reject in {Format.Percent(result.Alpha)} of the splits, and the A/A gate (which decides on the tests marked *) in at most that. The gate failed in <strong>{Format.Percent(result.Gate.Rate)}</strong> ({Format.Percent(result.Gate.Low)} – {Format.Percent(result.Gate.High)}).</p>")
            .Append(svg).Append(table).Append(real).Append("</body></html>\n");
        return html.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
