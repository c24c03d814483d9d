using System.Globalization;
using System.Net;
using System.Text;
using ScottPlot;
using Verdict.Experimentation.Analysis;

namespace Verdict.Reports;

/// <summary>
/// A model's drift as one offline HTML page: online accuracy per day with its interval, the intent-mix shift (PSI)
/// against the reference on a second axis with the 0.1 and 0.25 thresholds, and the table beneath.
/// </summary>
public static class DriftPage
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>Renders the page.</summary>
    public static string Html(DriftReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        plot.FigureBackground.Color = Colors.White;
        var days = report.Days;
        double[] xs = [.. days.Select(d => d.Date.ToDateTime(TimeOnly.MinValue).ToOADate())];
        var accuracyColor = Color.FromHex(Charts.Palette[0]);
        var labelled = days.Select((d, i) => (d, x: xs[i])).Where(p => p.d.Accuracy.Value is not null).ToList();
        if (labelled.Count > 0)
        {
            double[] lx = [.. labelled.Select(p => p.x)];
            double[] lows = [.. labelled.Select(p => p.d.Accuracy.CiLow!.Value * 100)];
            double[] highs = [.. labelled.Select(p => p.d.Accuracy.CiHigh!.Value * 100)];
            double[] means = [.. labelled.Select(p => p.d.Accuracy.Value!.Value * 100)];
            var band = plot.Add.FillY(lx, lows, highs);
            band.FillColor = accuracyColor.WithAlpha(0.15);
            band.LineWidth = 0;
            var line = plot.Add.ScatterLine(lx, means);
            line.Color = accuracyColor;
            line.LineWidth = 2.5f;
            line.MarkerSize = 7;
            line.LegendText = "online accuracy (%), 95% interval";
        }
        var psiColor = Color.FromHex(Charts.Palette[1]);
        double[] psis = [.. days.Select(d => d.Psi ?? 0)];
        var psi = plot.Add.ScatterLine(xs, psis);
        psi.Color = psiColor;
        psi.LinePattern = LinePattern.Dashed;
        psi.LineWidth = 2;
        psi.MarkerShape = MarkerShape.FilledSquare;
        psi.MarkerSize = 6;
        psi.LegendText = "intent-mix shift (PSI, right axis)";
        psi.Axes.YAxis = plot.Axes.Right;
        foreach (double threshold in new[] { 0.1, 0.25 })
        {
            var h = plot.Add.HorizontalLine(threshold);
            h.Axes.YAxis = plot.Axes.Right;
            h.Color = psiColor.WithAlpha(0.5);
            h.LinePattern = LinePattern.Dotted;
        }
        plot.Axes.DateTimeTicksBottom();
        plot.Axes.Left.Label.Text = "online accuracy (%)";
        plot.Axes.Right.Label.Text = "PSI";
        plot.ShowLegend(Alignment.LowerLeft);
        var svg = plot.GetSvgXml(760, 400);
        svg = svg[svg.IndexOf("<svg", StringComparison.Ordinal)..];

        var table = new StringBuilder("<table><thead><tr><th>day</th><th>predictions</th><th>labelled</th><th>accuracy (95% CI)</th><th>mean confidence</th><th>PSI</th><th>shift</th></tr></thead><tbody>");
        foreach (var d in days)
        {
            table.Append(C, $"<tr><td>{d.Date:yyyy-MM-dd}</td><td>{Format.Count(d.Predictions)}</td><td>{Format.Count(d.Labelled)}</td>")
                .Append(C, $"<td>{Format.Percent(d.Accuracy.Value)} ({Format.Percent(d.Accuracy.CiLow)} – {Format.Percent(d.Accuracy.CiHigh)})</td>")
                .Append(C, $"<td>{(d.MeanConfidence is double m ? m.ToString("0.000", C) : "—")}</td><td>{(d.Psi is double p ? p.ToString("0.000", C) : "—")}</td><td>{WebUtility.HtmlEncode(d.Shift ?? "—")}</td></tr>");
        }
        table.Append("</tbody></table>");
        string change = report.AccuracyChange is { Diff: double diff, CiLow: double low, CiHigh: double high } c
            ? $"Accuracy on the last day against the first: {Format.Points(diff)} (95% CI {Format.Points(low)} to {Format.Points(high)}, {Format.P(c.PValue)})."
            : "Not enough labelled days to compare the first and the last.";
        string reference = report.Reference == "manifest" ? "what it predicted on its held-out split (manifest)" : "its first day of traffic";

        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>")
            .Append(WebUtility.HtmlEncode(report.Model)).Append(": drift</title>")
            .Append("<style>body{font-family:'DejaVu Sans',sans-serif;max-width:820px;margin:2em auto;padding:0 8px;color:#222}")
            .Append("table{border-collapse:collapse}td,th{padding:.25em .6em;border-bottom:1px solid #ddd;text-align:right}th:first-child,td:first-child{text-align:left}")
            .Append("svg{width:100%;height:auto}</style></head><body>")
            .Append("<h1>").Append(WebUtility.HtmlEncode(report.Model)).Append(": drift</h1>")
            .Append("<p id=\"change\">").Append(WebUtility.HtmlEncode(change)).Append("</p>")
            .Append("<p>Intent mix compared with ").Append(WebUtility.HtmlEncode(reference)).Append(". PSI under 0.1 is stable, 0.1 to 0.25 a moderate shift, above 0.25 a major one.</p>")
            .Append(svg).Append(table).Append("</body></html>\n");
        return html.ToString();
    }
}
