using System.Globalization;
using System.Net;
using System.Text;
using ScottPlot;

namespace Verdict.Reports;

/// <summary>One line of a learning curve: the mean test accuracy per training size, with the range over seeds.</summary>
public sealed record CurveSeries(string Name, IReadOnlyList<CurvePoint> Points);

/// <summary>A training size and the mean, lowest and highest accuracy over seeds there.</summary>
public sealed record CurvePoint(int Size, double Mean, double Low, double High);

/// <summary>
/// The learning curve as one offline HTML page: accuracy against training labels on a log axis, one line per
/// architecture with its seed range as a band, and the table beneath.
/// </summary>
public static class LearningCurvePage
{
    /// <summary>Renders the page; <paramref name="table"/> is HTML (the caller's table) placed under the chart.</summary>
    public static string Html(string title, string subtitle, IReadOnlyList<CurveSeries> series, string table)
    {
        ArgumentNullException.ThrowIfNull(series);
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        plot.FigureBackground.Color = Colors.White;
        for (var i = 0; i < series.Count; i++)
        {
            var s = series[i];
            var color = Color.FromHex(Charts.Palette[i % Charts.Palette.Length]);
            double[] xs = [.. s.Points.Select(p => Math.Log10(p.Size))];
            var band = plot.Add.FillY(xs, [.. s.Points.Select(p => p.Low * 100)], [.. s.Points.Select(p => p.High * 100)]);
            band.FillColor = color.WithAlpha(0.15);
            band.LineWidth = 0;
            var line = plot.Add.ScatterLine(xs, [.. s.Points.Select(p => p.Mean * 100)]);
            line.Color = color;
            line.LineWidth = 2.5f;
            line.MarkerSize = 7;
            line.MarkerShape = (MarkerShape)((i % 6) + 1);
            line.LinePattern = i % 2 == 0 ? LinePattern.Solid : LinePattern.Dashed;
            line.LegendText = s.Name;
        }
        var sizes = series.SelectMany(s => s.Points.Select(p => p.Size)).Distinct().Order().ToArray();
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        foreach (var size in sizes)
        {
            ticks.AddMajor(Math.Log10(size), size.ToString("N0", CultureInfo.InvariantCulture));
        }
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.XLabel("training examples (log scale)");
        plot.YLabel("test accuracy (%)");
        plot.ShowLegend(Alignment.LowerRight);
        var svg = plot.GetSvgXml(760, 400);
        svg = svg[svg.IndexOf("<svg", StringComparison.Ordinal)..];

        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(WebUtility.HtmlEncode(title)).Append("</title>")
            .Append("<style>body{font-family:'DejaVu Sans',sans-serif;max-width:820px;margin:2em auto;color:#222}")
            .Append("table{border-collapse:collapse}td,th{padding:.25em .6em;border-bottom:1px solid #ddd;text-align:right}th:first-child,td:first-child{text-align:left}")
            .Append("svg{width:100%;height:auto}</style></head><body>")
            .Append("<h1>").Append(WebUtility.HtmlEncode(title)).Append("</h1><p>").Append(WebUtility.HtmlEncode(subtitle)).Append("</p>")
            .Append(svg).Append(table).Append("</body></html>\n");
        return html.ToString();
    }
}
