using System.Globalization;
using System.Text.RegularExpressions;
using ScottPlot;
using Verdict.Experimentation.Analysis;

namespace Verdict.Reports;

/// <summary>
/// The report's charts, drawn by ScottPlot and written as SVG to be inlined in the page (so it opens
/// offline, from an attachment). Colours are the Okabe–Ito palette, which stays distinct for the common
/// forms of colour blindness; line styles differ too, so nothing rests on colour alone.
/// </summary>
internal static partial class Charts
{
    public static readonly string[] Palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"];

    private const int Width = 760, Height = 360;

    /// <summary>An arm's colour: its place among the result's arms, the same in every chart.</summary>
    private static Color ArmColor(AnalysisResult result, string arm)
    {
        int index = 0;
        while (index < result.Arms.Count && result.Arms[index].Name != arm)
        {
            index++;
        }
        return Color.FromHex(Palette[index % Palette.Length]);
    }

    /// <summary>Cumulative lift of each arm over the control with its interval (band) and confidence sequence (dashed), day by day.</summary>
    public static string? CumulativeLift(AnalysisResult result)
    {
        if (result.Timeline.Count == 0 || result.Timeline[^1].Lift.Count == 0)
        {
            return null;
        }
        var plot = NewPlot();
        double[] xs = [.. result.Timeline.Select(d => d.Date.ToDateTime(TimeOnly.MinValue).ToOADate())];
        var treatments = result.Timeline[^1].Lift.Select(c => c.Treatment).ToList();
        for (int t = 0; t < treatments.Count; t++)
        {
            var color = ArmColor(result, treatments[t]);
            double[] Series(Func<Experimentation.Statistics.Comparison, double?> pick) =>
                [.. result.Timeline.Select(d => d.Lift.FirstOrDefault(c => c.Treatment == treatments[t]) is { } c && pick(c) is double v ? v * 100 : double.NaN)];
            var band = plot.Add.FillY(xs, Series(c => c.CiLow), Series(c => c.CiHigh));
            band.FillColor = color.WithAlpha(0.18);
            band.LineWidth = 0;
            band.LegendText = $"{treatments[t]}: 95% interval";
            foreach (var edge in new[] { Series(c => c.CsLow), Series(c => c.CsHigh) })
            {
                var cs = plot.Add.ScatterLine(xs, edge);
                cs.Color = color;
                cs.LinePattern = LinePattern.Dashed;
                cs.LineWidth = 1.5f;
            }
            var line = plot.Add.ScatterLine(xs, Series(c => c.Diff));
            line.Color = color;
            line.LineWidth = 2.5f;
            line.LegendText = $"{treatments[t]} − {result.Control} (dashed: always-valid)";
        }
        var zero = plot.Add.HorizontalLine(0);
        zero.Color = Colors.Gray;
        zero.LineWidth = 1;
        plot.Axes.DateTimeTicksBottom();
        plot.YLabel($"{Metrics.Get(result.Timeline[^1].Metric).Label} difference (pts)");
        plot.ShowLegend(Alignment.UpperRight);
        return ToSvg(plot, "cumulative-lift");
    }

    /// <summary>Each arm's share of handling times per bin, on a log axis of seconds.</summary>
    public static string? HandlingDistribution(AnalysisResult result)
    {
        if (result.HandlingDistribution is not { } d)
        {
            return null;
        }
        var plot = NewPlot();
        double[] logEdges = [.. d.BinEdges.Select(Math.Log10)];
        int arm = 0;
        foreach (string name in result.Arms.Select(a => a.Name))
        {
            if (!d.Counts.TryGetValue(name, out var counts))
            {
                continue;
            }
            long total = counts.Sum();
            if (total == 0)
            {
                continue;
            }
            // A step outline per arm: the share of the arm's emails in each bin.
            var xs = new List<double>();
            var ys = new List<double>();
            for (int b = 0; b < counts.Count; b++)
            {
                xs.Add(logEdges[b]);
                ys.Add(100.0 * counts[b] / total);
                xs.Add(logEdges[b + 1]);
                ys.Add(100.0 * counts[b] / total);
            }
            var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray());
            line.Color = ArmColor(result, name);
            line.LineWidth = 2;
            line.LinePattern = arm % 2 == 0 ? LinePattern.Solid : LinePattern.Dashed;
            line.LegendText = name;
            arm++;
        }
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        foreach (var (seconds, label) in new (double, string)[] { (1, "1 s"), (10, "10 s"), (60, "1 min"), (600, "10 min"), (3600, "1 h"), (36000, "10 h") })
        {
            if (Math.Log10(seconds) >= logEdges[0] - 0.5 && Math.Log10(seconds) <= logEdges[^1] + 0.5)
            {
                ticks.AddMajor(Math.Log10(seconds), label);
            }
        }
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.XLabel("handling time (log scale)");
        plot.YLabel("share of emails (%)");
        plot.ShowLegend(Alignment.UpperRight);
        return ToSvg(plot, "handling-distribution");
    }

    /// <summary>Units so far per day against the planned sample, with the pace extrapolated to the plan.</summary>
    public static string? SampleProgress(AnalysisResult result, DateOnly? completion)
    {
        if (result.Timeline.Count == 0)
        {
            return null;
        }
        var plot = NewPlot();
        double[] xs = [.. result.Timeline.Select(d => d.Date.ToDateTime(TimeOnly.MinValue).ToOADate())];
        double[] ys = [.. result.Timeline.Select(d => (double)d.Exposures.Values.Sum())];
        var line = plot.Add.ScatterLine(xs, ys);
        line.Color = Color.FromHex(Palette[0]);
        line.LineWidth = 2.5f;
        line.LegendText = "exposures so far";
        if (result.PlannedUnits is long planned)
        {
            var plan = plot.Add.HorizontalLine(planned);
            plan.Color = Color.FromHex(Palette[5]);
            plan.LinePattern = LinePattern.Dashed;
            plan.LegendText = $"planned: {Format.Count(planned)} units";
            if (completion is { } end && ys[^1] < planned)
            {
                var pace = plot.Add.ScatterLine(
                    new[] { xs[^1], end.ToDateTime(TimeOnly.MinValue).ToOADate() }, new[] { ys[^1], (double)planned });
                pace.Color = Color.FromHex(Palette[0]);
                pace.LinePattern = LinePattern.Dotted;
                pace.LegendText = "at the current pace";
            }
        }
        plot.Axes.DateTimeTicksBottom();
        plot.YLabel("exposures (cumulative)");
        plot.ShowLegend(Alignment.UpperLeft);
        return ToSvg(plot, "sample-progress");
    }

    private static Plot NewPlot()
    {
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        plot.FigureBackground.Color = Colors.White;
        plot.Axes.Margins(0.02, 0.08);
        return plot;
    }

    /// <summary>The plot as an SVG element that scales with the page: a view box instead of a fixed size, and an id.</summary>
    private static string ToSvg(Plot plot, string id)
    {
        string svg = plot.GetSvgXml(Width, Height);
        int start = svg.IndexOf("<svg", StringComparison.Ordinal);
        svg = svg[start..];
        return SvgSize().Replace(svg, string.Create(CultureInfo.InvariantCulture,
            $"<svg id=\"{id}\" class=\"chart\" role=\"img\" viewBox=\"0 0 {Width} {Height}\" preserveAspectRatio=\"xMidYMid meet\""), 1);
    }

    [GeneratedRegex(""""<svg( xmlns(:xlink)?="[^"]*")*\s+width="\d+"\s+height="\d+"""")]
    private static partial Regex SvgSize();
}
