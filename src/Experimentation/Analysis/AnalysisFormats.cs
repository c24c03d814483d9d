using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Verdict.Experimentation.Statistics;

namespace Verdict.Experimentation.Analysis;

/// <summary>Renders an <see cref="AnalysisResult"/> as Contract 2 JSON or a Markdown summary for chat and email.</summary>
public static class AnalysisFormats
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>Contract 2 JSON: every documented key present, undefined numbers as null.</summary>
    public static string ToJson(AnalysisResult result) => JsonSerializer.Serialize(result, Options);

    /// <summary>Markdown: the verdict, the split, and one table per metric.</summary>
    public static string ToMarkdown(AnalysisResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.Append(c, $"## {result.Experiment}: {result.Verdict.Status}\n\n{result.Verdict.Summary}\n\n");
        if (result.AaVerdict is { } aa)
        {
            md.Append(c, $"A/A phase: **{aa.Status}** — {aa.Summary}\n\n");
        }
        md.Append("| arm | exposures | units | models |\n|---|---:|---:|---|\n");
        foreach (var arm in result.Arms)
        {
            md.Append(c, $"| {arm.Name} | {arm.Exposures:N0} | {arm.Units:N0} | {string.Join(", ", arm.Models)} |\n");
        }
        md.Append(c, $"\nSample-ratio check: {(result.Srm.Reason is { } r ? "not computed (" + r + " " + result.Srm.ReasonDetail + ")" : result.Srm.Mismatch ? "**mismatch**" : result.Srm.Warning ? "warning" : "ok")}, p {Verdicts.P(result.Srm.PValue)}.\n");

        foreach (var metric in result.Metrics)
        {
            md.Append(c, $"\n### {metric.Metric} ({metric.Better} is better, {metric.Level} level)\n\n| arm | n | mean | {(1 - result.Alpha) * 100:0}% CI | median | P(best) |\n|---|---:|---:|---|---:|---:|\n");
            foreach (var a in metric.Arms)
            {
                md.Append(c, $"| {a.Name} | {a.N:N0} | {F(a.Mean)} | {F(a.CiLow)} – {F(a.CiHigh)} | {F(a.Median)} | {F(a.ProbabilityBest)} |\n");
            }
            md.Append("\n| comparison | test | diff | CI | rel. change | p | always-valid p | significant |\n|---|---|---:|---|---:|---:|---:|---|\n");
            foreach (var cmp in metric.Comparisons)
            {
                string p = cmp.PValueHolm is double h ? $"{F(cmp.PValue)} (Holm {F(h)})" : F(cmp.PValue);
                string note = cmp.Reason is UninformativeReason reason ? $" ({Verdicts.Kebab(reason)})" : "";
                md.Append(c, $"| {cmp.Treatment} vs {cmp.Control} | {cmp.Test}{note} | {F(cmp.Diff)} | {F(cmp.CiLow)} – {F(cmp.CiHigh)} | {F(cmp.RelLift)} | {p} | {F(cmp.PValueAlwaysValid)} | {(cmp.Significant ? "yes" : "no")} |\n");
            }
        }
        var log = result.Log;
        md.Append(c, $"\nLog: {log.Lines:N0} lines from {log.Sources} source(s); {log.MalformedLines:N0} malformed, {log.DuplicateExposures:N0} duplicate exposures, {log.OrphanOutcomes:N0} outcomes without exposure, {log.UnitsInSeveralArms:N0} units in several arms (left out).\n");
        return md.ToString();
    }

    private static string F(double? v) => v switch
    {
        null => "—",
        double d when d != 0 && Math.Abs(d) < 1e-3 => d.ToString("0.##E+0", CultureInfo.InvariantCulture),
        double d => d.ToString("0.####", CultureInfo.InvariantCulture),
    };
}
