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
        foreach (var warning in result.Warnings)
        {
            md.Append(c, $"> **Warning ({warning.Code}).** {warning.Message}\n\n");
        }
        md.Append("| arm | exposures | units | models |\n|---|---:|---:|---|\n");
        foreach (var arm in result.Arms)
        {
            md.Append(c, $"| {arm.Name} | {arm.Exposures:N0} | {arm.Units:N0} | {string.Join(", ", arm.Models)} |\n");
        }
        md.Append(c, $"\nSample-ratio check: {(result.Srm.Reason is { } r ? "not computed (" + r + " " + result.Srm.ReasonDetail + ")" : result.Srm.Mismatch ? "**mismatch**" : result.Srm.Warning ? "warning" : "ok")}, p {Verdicts.P(result.Srm.PValue)}.\n");

        AppendImpact(md, result);
        AppendGuardrails(md, result);
        foreach (var metric in result.Metrics)
        {
            md.Append(c, $"\n### {Metrics.Get(metric.Metric).Title} — {metric.Level} level\n\n| arm | n | mean | {(1 - result.Alpha) * 100:0}% CI | median | P(best) |\n|---|---:|---:|---|---:|---:|\n");
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
        AppendCoverage(md, result);
        AppendClassification(md, result);
        if (result.Paired.Count > 0)
        {
            md.Append("\n### Shadow models on the same emails\n\n| served | shadow | n | served acc. | shadow acc. | diff | CI | b / c | McNemar p | exact p | shadowed | agreement | shadow p50 / p95 ms |\n|---|---|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|\n");
            foreach (var p in result.Paired)
            {
                md.Append(c, $"| {p.ServedModel} | {p.ShadowModel} | {p.N:N0} | {F(p.AccuracyServed)} | {F(p.AccuracyShadow)} | {F(p.Diff)} | {F(p.CiLow)} – {F(p.CiHigh)} | {p.ServedOnlyCorrect} / {p.ShadowOnlyCorrect} | {F(p.PValue)} | {F(p.PValueExact)} ")
                    .Append(c, $"| {p.Shadowed:N0} | {F(p.Agreement)} ({F(p.AgreementLow)} – {F(p.AgreementHigh)}) | {F(p.ShadowLatencyP50Ms)} / {F(p.ShadowLatencyP95Ms)} |\n");
            }
        }
        if (result.Lifecycle.Count > 0)
        {
            md.Append("\n### Timeline\n\n| when | change | by | why |\n|---|---|---|---|\n");
            foreach (var step in result.Lifecycle)
            {
                md.Append(c, $"| {step.At.UtcDateTime:yyyy-MM-dd HH:mm} | {step.From} → {step.To}{(step.Forced ? " (forced)" : "")} | {step.By} | {step.Status ?? step.Reason ?? "—"} |\n");
            }
        }
        var log = result.Log;
        md.Append(c, $"\nLog: {log.Lines:N0} lines from {log.Sources} source(s); {log.MalformedLines:N0} malformed, {log.DuplicateExposures:N0} duplicate exposures, {log.OrphanOutcomes:N0} outcomes without exposure, {log.UnitsInSeveralArms:N0} units in several arms (left out).\n");
        return md.ToString();
    }

    private static void AppendImpact(StringBuilder md, AnalysisResult result)
    {
        if (result.Impact.Count == 0 || result.Verdict.Status is "srm-mismatch" or "outcome-coverage-mismatch")
        {
            return;
        }
        var c = CultureInfo.InvariantCulture;
        md.Append(c, $"\n### Impact against {result.Control}\n\n| arm | accuracy (points) | {(1 - result.Alpha) * 100:0}% CI | rep minutes saved per 1,000 emails | {(1 - result.Alpha) * 100:0}% CI |\n|---|---:|---|---:|---|\n");
        foreach (var i in result.Impact)
        {
            md.Append(c, $"| {i.Arm} | {F(i.AccuracyPoints.Value)} | {Range(i.AccuracyPoints)} | {F(i.RepMinutesSavedPer1000Emails.Value)} | {Range(i.RepMinutesSavedPer1000Emails)} |\n");
        }
    }

    private static void AppendGuardrails(StringBuilder md, AnalysisResult result)
    {
        if (result.Guardrails.Count == 0)
        {
            return;
        }
        var c = CultureInfo.InvariantCulture;
        md.Append("\n### Guardrails (non-inferiority)\n\n| arm | metric | margin | worst case | best case | interval | status |\n|---|---|---:|---:|---:|---|---|\n");
        foreach (var g in result.Guardrails)
        {
            md.Append(c, $"| {g.Arm} | {g.Metric} | {F(g.Margin)} | {F(g.WorstCase)} | {F(g.BestCase)} | {g.Interval} | **{g.Status}** |\n");
        }
    }

    private static void AppendCoverage(StringBuilder md, AnalysisResult result)
    {
        var covered = result.Metrics.Where(m => m.Coverage is not null).ToList();
        if (covered.Count == 0)
        {
            return;
        }
        var c = CultureInfo.InvariantCulture;
        md.Append("\n### Outcome coverage\n\n| metric | arm | exposures | with the outcome | share | chi-square p | status |\n|---|---|---:|---:|---:|---:|---|\n");
        foreach (var m in covered)
        {
            var cov = m.Coverage!;
            string status = cov.Reason is { } r ? Verdicts.Kebab(r) : cov.Mismatch ? "**mismatch**" : cov.Warning ? "warning" : "ok";
            foreach (var a in cov.Arms)
            {
                md.Append(c, $"| {m.Metric} | {a.Name} | {a.Exposures:N0} | {a.Covered:N0} | {F(a.Share)} | {F(cov.PValue)} | {status} |\n");
            }
        }
        if (result.OutcomeDelays.Count > 0)
        {
            md.Append("\n| arm | outcomes | median delay (s) | 95th percentile (s) |\n|---|---:|---:|---:|\n");
            foreach (var d in result.OutcomeDelays)
            {
                md.Append(c, $"| {d.Name} | {d.Outcomes:N0} | {F(d.P50Seconds)} | {F(d.P95Seconds)} |\n");
            }
        }
    }

    private static void AppendClassification(StringBuilder md, AnalysisResult result)
    {
        if (result.Classification is not { } q)
        {
            return;
        }
        var c = CultureInfo.InvariantCulture;
        md.Append("\n### Classifier quality\n\n| arm | labelled | macro-F1 | CI | ECE | CI | Brier | CI |\n|---|---:|---:|---|---:|---|---:|---|\n");
        foreach (var a in q.Arms)
        {
            md.Append(c, $"| {a.Name} | {a.Labelled:N0} | {F(a.MacroF1.Value)} | {Range(a.MacroF1)} | {F(a.Calibration.Ece.Value)} | {Range(a.Calibration.Ece)} | {F(a.Calibration.Brier.Value)} | {Range(a.Calibration.Brier)} |\n");
        }
        md.Append("\n| intent |");
        foreach (var a in q.Arms)
        {
            md.Append(c, $" {a.Name} recall | {a.Name} precision |");
        }
        md.Append("\n|---|").Append(string.Concat(Enumerable.Repeat("---:|---:|", q.Arms.Count))).Append('\n');
        foreach (string label in q.Labels)
        {
            md.Append(c, $"| {label} |");
            foreach (var a in q.Arms)
            {
                var i = a.Intents.First(x => x.Intent == label);
                md.Append(c, $" {F(i.Recall.Value)} | {F(i.Precision.Value)} |");
            }
            md.Append('\n');
        }
    }

    private static string Range(Estimate e) => e.CiLow is null ? (e.Reason is { } r ? Verdicts.Kebab(r) : "—") : $"{F(e.CiLow)} – {F(e.CiHigh)}";

    private static string F(double? v) => v switch
    {
        null => "—",
        double d when d != 0 && Math.Abs(d) < 1e-3 => d.ToString("0.##E+0", CultureInfo.InvariantCulture),
        double d => d.ToString("0.####", CultureInfo.InvariantCulture),
    };
}
