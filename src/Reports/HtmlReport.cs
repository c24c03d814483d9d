using System.Globalization;
using System.Net;
using System.Text;
using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Statistics;

namespace Verdict.Reports;

/// <summary>
/// The report a product manager reads: one self-contained HTML file (inline styles, charts as inline SVG, no
/// script, nothing fetched), readable on a laptop and a phone. It answers, in this order: what the verdict
/// is, whether the split is healthy, how each arm does, by how much one beats the other and how sure we are,
/// how the result settled over time, and how long until the planned sample.
/// </summary>
public static class HtmlReport
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>Renders <paramref name="result"/> as a complete HTML document.</summary>
    /// <param name="result">The analysis.</param>
    /// <param name="generatedAt">When the report is made (shown in the header); now by default.</param>
    /// <param name="models">Offline metrics from the manifests of the models the arms served, by <c>name@version</c>; models not in it are shown without.</param>
    public static string Render(AnalysisResult result, DateTimeOffset? generatedAt = null, IReadOnlyDictionary<string, OfflineMetrics>? models = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var now = generatedAt ?? DateTimeOffset.UtcNow;
        var completion = EstimatedCompletion(result);
        var html = new StringBuilder(64 * 1024);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append(C, $"<title>{E(result.Experiment)}: {E(result.Verdict.Status)}</title>\n<style>{Style}</style>\n</head>\n<body>\n<main>\n");

        html.Append(C, $"<header><p class=\"kicker\">{E(result.Kind)} experiment · {E(PhaseName(result.Phase))} · generated {E(Format.Date(now))}</p>")
            .Append(C, $"<h1>{E(result.Experiment)}</h1>")
            .Append(C, $"<p class=\"status status-{E(Tone(result.Verdict.Status))}\">{E(result.Verdict.Status)}</p>")
            .Append(C, $"<p id=\"verdict\" class=\"verdict\">{E(result.Verdict.Summary)}</p>");
        foreach (var warning in result.Warnings)
        {
            html.Append(C, $"<p class=\"warning\" data-code=\"{E(warning.Code)}\">⚠ {E(warning.Message)}</p>");
        }
        html.Append("</header>\n");

        html.Append("<section class=\"facts\">")
            .Append(Fact("Split", SrmText(result.Srm), result.Srm.Mismatch ? "bad" : result.Srm.Warning ? "warn" : "good"))
            .Append(Fact("Outcomes", CoverageText(result), result.Metrics.Any(m => m.Coverage is { Mismatch: true }) ? "bad" : result.Metrics.Any(m => m.Coverage is { Warning: true }) ? "warn" : result.Metrics.Any(m => m.Coverage is not null) ? "good" : null))
            .Append(Fact("Sample", SampleText(result, completion), null))
            .Append(Fact("A/A phase", result.AaVerdict is { } aa ? $"{aa.Status}: {aa.Summary}" : result.Phase == "aa" ? "this is the A/A phase" : "not in this log", result.AaVerdict?.Status == "aa-failed" ? "bad" : null))
            .Append("</section>\n");

        html.Append(ImpactSection(result)).Append(GuardrailSection(result));
        html.Append("<section><h2>Arms</h2>").Append(ArmsTable(result, models)).Append("</section>\n");
        foreach (var metric in result.Metrics)
        {
            html.Append(C, $"<section><h2>{E(MetricTitle(metric.Metric))}</h2>").Append(MetricTables(metric)).Append("</section>\n");
        }
        if (result.Kind == "template")
        {
            html.Append(TemplateSection(result));
        }
        html.Append(CoverageSection(result)).Append(QualitySection(result)).Append(PairedSection(result));

        AppendChart(html, "How the result settled", Charts.CumulativeLift(result),
            "The difference on everything logged up to each day. The band is the 95% interval for a single look; the dashed lines are the always-valid bounds, which stay honest however often the report is read.");
        if (result.Kind != "template")
        {
            AppendChart(html, "Handling time per arm", Charts.HandlingDistribution(result),
                "Each arm's share of emails by handling time, on a log scale, so a few very long emails do not hide the bulk.");
        }
        AppendChart(html, "Sample progress", Charts.SampleProgress(result, completion),
            completion is { } end ? $"At the current pace the planned sample is reached around {end.ToString("d MMM yyyy", C)}." : "Exposures so far.");

        html.Append(LifecycleSection(result));
        html.Append(MethodsSection(result)).Append("</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>The day the planned sample is reached at the average daily pace so far; null when done, unplanned or unknown.</summary>
    internal static DateOnly? EstimatedCompletion(AnalysisResult result)
    {
        long units = result.Arms.Sum(a => a.Units);
        if (result.PlannedUnits is not long planned || units >= planned || result.Timeline.Count == 0 || units == 0)
        {
            return null;
        }
        double perDay = (double)units / result.Timeline.Count;
        return result.Timeline[^1].Date.AddDays((int)Math.Ceiling((planned - units) / perDay));
    }

    private static string ArmsTable(AnalysisResult result, IReadOnlyDictionary<string, OfflineMetrics>? models)
    {
        var t = new StringBuilder("<div class=\"scroll\"><table><thead><tr><th>arm</th><th>exposures</th><th>units</th><th>share</th><th>model</th><th>offline (manifest)</th></tr></thead><tbody>");
        long total = Math.Max(1, result.Arms.Sum(a => a.Units));
        foreach (var arm in result.Arms)
        {
            string offline = string.Join("; ", arm.Models.Select(m => models is not null && models.TryGetValue(m, out var o)
                ? $"accuracy {Format.Percent(o.Accuracy)}, macro-F1 {o.MacroF1.ToString("0.000", C)} on {Format.Count(o.Examples)} {o.Split} examples"
                : "—"));
            t.Append(C, $"<tr><td>{E(arm.Name)}{(arm.Name == result.Control ? " <span class=\"tag\">control</span>" : "")}</td><td>{Format.Count(arm.Exposures)}</td><td>{Format.Count(arm.Units)}</td>")
                .Append(C, $"<td>{Format.Percent((double)arm.Units / total)}</td><td>{E(string.Join(", ", arm.Models))}</td><td>{E(offline)}</td></tr>");
        }
        return t.Append("</tbody></table></div>").ToString();
    }

    private static string MetricTables(MetricResult metric)
    {
        bool time = Metrics.Get(metric.Metric).Shape == MetricShape.Duration;
        var t = new StringBuilder("<div class=\"scroll\"><table><thead><tr><th>arm</th><th>n</th>");
        t.Append(time ? "<th>median</th><th>mean (95% CI)</th>" : "<th>rate (95% CI)</th>");
        bool bayes = metric.Arms.Any(a => a.ProbabilityBest is not null);
        t.Append(bayes ? "<th>P(best)</th>" : "").Append("</tr></thead><tbody>");
        foreach (var a in metric.Arms)
        {
            t.Append(C, $"<tr><td>{E(a.Name)}</td><td>{Format.Count(a.N)}</td>");
            t.Append(time
                ? $"<td>{Format.Duration(a.Median)}</td><td>{Format.Duration(a.Mean)} ({Format.Duration(a.CiLow)} – {Format.Duration(a.CiHigh)})</td>"
                : $"<td>{Format.Percent(a.Mean)} ({Format.Percent(a.CiLow)} – {Format.Percent(a.CiHigh)})</td>");
            t.Append(bayes ? $"<td>{Format.Percent(a.ProbabilityBest)}</td>" : "").Append("</tr>");
        }
        t.Append("</tbody></table></div>");
        if (metric.Comparisons.Count == 0)
        {
            return t.ToString();
        }
        t.Append("<div class=\"scroll\"><table><thead><tr><th>comparison</th><th>test</th><th>difference</th><th>95% interval</th><th>always-valid bounds</th><th>p</th><th>significant</th></tr></thead><tbody>");
        foreach (var c in metric.Comparisons)
        {
            t.Append(C, $"<tr><td>{E(c.Treatment)} vs {E(c.Control)}</td><td>{E(TestName(c.Test))}</td><td>{E(Difference(c, time))}</td>")
                .Append(C, $"<td>{E(Interval(c, time, c.CiLow, c.CiHigh))}</td><td>{E(Interval(c, time, c.CsLow, c.CsHigh))}</td>")
                .Append(C, $"<td>{E(Format.P(c.PValueHolm ?? c.PValue))}</td><td>{(c.Significant ? "<strong>yes</strong>" : "no")}</td></tr>");
        }
        t.Append("</tbody></table></div>");
        if (metric.Omnibus is { } omnibus)
        {
            t.Append(C, $"<p class=\"note\">All arms together ({E(TestName(omnibus.Test))}): {E(Format.P(omnibus.PValue))}{(omnibus.Significant ? ", significant" : ", not significant")}.</p>");
        }
        return t.ToString();
    }

    /// <summary>Templates ranked by positive-intent reply rate, the raw reply rate beside it, and where the two disagree.</summary>
    private static string TemplateSection(AnalysisResult result)
    {
        var positive = result.Metrics.FirstOrDefault(m => m.Metric == Metrics.PositiveReplyRate.Name);
        var replies = result.Metrics.FirstOrDefault(m => m.Metric == Metrics.ReplyRate.Name);
        if (positive is null)
        {
            return "";
        }
        var byPositive = positive.Arms.OrderByDescending(a => a.Mean ?? -1).ToList();
        var byReplies = replies?.Arms.OrderByDescending(a => a.Mean ?? -1).Select(a => a.Name).ToList() ?? [];
        var t = new StringBuilder("<section id=\"templates\"><h2>Templates by positive-intent replies</h2><div class=\"scroll\"><table><thead><tr><th>rank</th><th>template</th><th>positive-intent replies (95% CI)</th><th>P(best)</th><th>any reply</th><th>rank by any reply</th></tr></thead><tbody>");
        for (int i = 0; i < byPositive.Count; i++)
        {
            var a = byPositive[i];
            var raw = replies?.Arms.FirstOrDefault(r => r.Name == a.Name);
            int rawRank = byReplies.IndexOf(a.Name) + 1;
            bool disagree = rawRank > 0 && rawRank != i + 1;
            t.Append(C, $"<tr{(disagree ? " class=\"disagree\"" : "")}><td>{i + 1}</td><td>{E(a.Name)}</td><td>{Format.Percent(a.Mean)} ({Format.Percent(a.CiLow)} – {Format.Percent(a.CiHigh)})</td>")
                .Append(C, $"<td>{Format.Percent(a.ProbabilityBest)}</td><td>{Format.Percent(raw?.Mean)}</td><td>{(rawRank > 0 ? rawRank.ToString(C) : "—")}{(disagree ? " ⚑" : "")}</td></tr>");
        }
        t.Append("</tbody></table></div><p class=\"note\">⚑ marks a template whose rank by any reply differs from its rank by positive-intent replies: ")
            .Append("reply rate counts objections and unsubscribes as success, so it can pick a template that annoys people. ")
            .Append("Winner rule: significant against every other template after Holm's correction, all templates differing (omnibus test), probability to be best at least 95%, and the planned sample reached.</p></section>\n");
        return t.ToString();
    }

    private static string CoverageText(AnalysisResult r)
    {
        var mismatch = r.Metrics.FirstOrDefault(m => m.Coverage is { Mismatch: true });
        if (mismatch is not null)
        {
            var low = mismatch.Coverage!.Arms.OrderBy(a => a.Share ?? 1).First();
            return $"mismatch: {low.Name} lacks outcomes ({Format.Percent(low.Share)} of its emails have {Metrics.Get(mismatch.Metric).OutcomeField}; {Format.P(mismatch.Coverage.PValue)})";
        }
        var covered = r.Metrics.Where(m => m.Coverage is not null).ToList();
        return covered.Count == 0 ? "not needed (replies are the outcome)"
            : string.Join("; ", covered.Select(m => $"{Metrics.Get(m.Metric).OutcomeField} on {string.Join(" / ", m.Coverage!.Arms.Select(a => Format.Percent(a.Share)))} of emails"));
    }

    /// <summary>What switching is worth per treatment: accuracy points and rep minutes per 1,000 emails, with intervals.</summary>
    private static string ImpactSection(AnalysisResult r)
    {
        // A broken split or selective outcomes make every difference untrustworthy: no figure to quote.
        if (r.Impact.Count == 0 || r.Verdict.Status is "srm-mismatch" or "outcome-coverage-mismatch")
        {
            return "";
        }
        var t = new StringBuilder($"<section id=\"impact\"><h2>What switching is worth</h2><div class=\"scroll\"><table><thead><tr><th>arm</th><th>accuracy</th><th>95% interval</th><th>rep time saved per 1,000 emails</th><th>95% interval</th></tr></thead><tbody>");
        foreach (var i in r.Impact)
        {
            t.Append(C, $"<tr><td>{E(i.Arm)}</td><td>{E(Signed(i.AccuracyPoints.Value, " pts"))}</td><td>{E(Between(i.AccuracyPoints, " pts"))}</td>")
                .Append(C, $"<td>{E(Signed(i.RepMinutesSavedPer1000Emails.Value, " min"))}</td><td>{E(Between(i.RepMinutesSavedPer1000Emails, " min"))}</td></tr>");
        }
        return t.Append(C, $"</tbody></table></div><p class=\"note\">Against {E(r.Control ?? "the control")}. Rep time is the difference in mean handling time, so a few very long emails weigh in it; the geometric-mean comparison below is the test the verdict uses.</p></section>\n").ToString();
    }

    private static string GuardrailSection(AnalysisResult r)
    {
        if (r.Guardrails.Count == 0)
        {
            return "";
        }
        var t = new StringBuilder("<section id=\"guardrails\"><h2>Guardrails</h2><div class=\"scroll\"><table><thead><tr><th>arm</th><th>metric</th><th>may not be worse by more than</th><th>worst case</th><th>status</th></tr></thead><tbody>");
        foreach (var g in r.Guardrails)
        {
            var metric = Metrics.Get(g.Metric);
            bool rate = metric.Shape == MetricShape.Rate;
            string margin = rate ? Format.Points(g.Margin).TrimStart('+') : Format.Relative(g.Margin).TrimStart('+');
            string worst = rate ? Format.Points(g.WorstCase) : Format.Relative(g.WorstCase);
            string tone = g.Status switch { "met" => "good", "breached" => "bad", _ => "neutral" };
            t.Append(C, $"<tr><td>{E(g.Arm)}</td><td>{E(metric.Label)}</td><td>{E(margin)}</td><td>{E(worst)}</td><td><span class=\"status status-{tone}\">{E(g.Status)}</span></td></tr>");
        }
        return t.Append("</tbody></table></div><p class=\"note\">Non-inferiority: a guardrail is met when the whole interval, at its worse end, stays within the margin; \"not significantly worse\" is not enough. Before the planned sample the always-valid bounds are used.</p></section>\n").ToString();
    }

    private static string CoverageSection(AnalysisResult r)
    {
        var covered = r.Metrics.Where(m => m.Coverage is not null).ToList();
        if (covered.Count == 0)
        {
            return "";
        }
        var t = new StringBuilder("<section id=\"coverage\"><h2>Outcome coverage</h2><div class=\"scroll\"><table><thead><tr><th>outcome field</th><th>arm</th><th>emails</th><th>with it</th><th>share</th><th>arms alike?</th></tr></thead><tbody>");
        foreach (var m in covered)
        {
            var cov = m.Coverage!;
            string alike = cov.Reason == UninformativeReason.ZeroVariance ? "yes (every arm alike)" : cov.Reason is not null ? "not testable" : cov.Mismatch ? $"no ({Format.P(cov.PValue)})" : cov.Warning ? $"borderline ({Format.P(cov.PValue)})" : $"yes ({Format.P(cov.PValue)})";
            foreach (var a in cov.Arms)
            {
                t.Append(C, $"<tr{(cov.Mismatch ? " class=\"disagree\"" : "")}><td>{E(Metrics.Get(m.Metric).OutcomeField ?? m.Metric)}</td><td>{E(a.Name)}</td><td>{Format.Count(a.Exposures)}</td><td>{Format.Count(a.Covered)}</td><td>{Format.Percent(a.Share)}</td><td>{E(alike)}</td></tr>");
            }
        }
        t.Append("</tbody></table></div>");
        if (r.OutcomeDelays.Count > 0)
        {
            t.Append("<div class=\"scroll\"><table><thead><tr><th>arm</th><th>outcomes</th><th>median delay</th><th>95th percentile</th></tr></thead><tbody>");
            foreach (var d in r.OutcomeDelays)
            {
                t.Append(C, $"<tr><td>{E(d.Name)}</td><td>{Format.Count(d.Outcomes)}</td><td>{Format.Duration(d.P50Seconds)}</td><td>{Format.Duration(d.P95Seconds)}</td></tr>");
            }
            t.Append("</tbody></table></div>");
        }
        return t.Append("<p class=\"note\">If one arm gets outcomes less often than another, the outcome metrics compare different emails: a rep who skips the form when a suggestion was wrong makes that arm look more accurate than it is. A difference with p under 0.001 stops the verdict.</p></section>\n").ToString();
    }

    private static string QualitySection(AnalysisResult r)
    {
        if (r.Classification is not { } q)
        {
            return "";
        }
        var t = new StringBuilder("<section id=\"quality\"><h2>Classifier quality</h2><div class=\"scroll\"><table><thead><tr><th>arm</th><th>labelled</th><th>macro-F1 (95% CI)</th><th>calibration error (95% CI)</th><th>Brier score (95% CI)</th></tr></thead><tbody>");
        foreach (var a in q.Arms)
        {
            t.Append(C, $"<tr><td>{E(a.Name)}</td><td>{Format.Count(a.Labelled)}</td><td>{E(Plain(a.MacroF1))}</td><td>{E(Plain(a.Calibration.Ece))}</td><td>{E(Plain(a.Calibration.Brier))}</td></tr>");
        }
        t.Append("</tbody></table></div><div class=\"scroll\"><table><thead><tr><th>intent</th>");
        foreach (var a in q.Arms)
        {
            t.Append(C, $"<th>{E(a.Name)} recall</th><th>{E(a.Name)} precision</th>");
        }
        t.Append("</tr></thead><tbody>");
        // The most frequent intents first; the JSON has them all.
        var labels = q.Labels.OrderByDescending(l => q.Arms.Sum(a => a.Intents.First(i => i.Intent == l).Support)).Take(MaxIntentsShown).ToList();
        foreach (string label in labels)
        {
            t.Append(C, $"<tr><td>{E(label)}</td>");
            foreach (var a in q.Arms)
            {
                var i = a.Intents.First(x => x.Intent == label);
                t.Append(C, $"<td>{Format.Percent(i.Recall.Value)} <small>({Format.Percent(i.Recall.CiLow)}–{Format.Percent(i.Recall.CiHigh)})</small></td><td>{Format.Percent(i.Precision.Value)} <small>({Format.Percent(i.Precision.CiLow)}–{Format.Percent(i.Precision.CiHigh)})</small></td>");
            }
            t.Append("</tr>");
        }
        string more = q.Labels.Count > labels.Count ? $" The {q.Labels.Count - labels.Count} less frequent intents are in the JSON." : "";
        return t.Append(C, $"</tbody></table></div><p class=\"note\">Recall: of the emails that truly had an intent, the share predicted as it; precision: of the emails predicted as it, the share that had it. Calibration error is the gap between the model's confidence and its accuracy (0 is perfect); the Brier score is the mean squared gap per email.{E(more)}</p></section>\n").ToString();
    }

    private const int MaxIntentsShown = 15;

    /// <summary>Served against shadow models on the same emails: the paired accuracy difference and McNemar's test.</summary>
    private static string PairedSection(AnalysisResult r)
    {
        if (r.Paired.Count == 0)
        {
            return "";
        }
        var t = new StringBuilder("<section id=\"paired\"><h2>Shadow models on the same emails</h2><div class=\"scroll\"><table><thead><tr><th>served</th><th>shadow</th><th>emails</th><th>served / shadow accuracy</th><th>shadow − served (95% CI)</th><th>only served right / only shadow right</th><th>McNemar p (exact)</th><th>agreement (95% CI)</th><th>shadow latency p50 / p95</th></tr></thead><tbody>");
        foreach (var p in r.Paired)
        {
            t.Append(C, $"<tr><td>{E(p.ServedModel)}</td><td>{E(p.ShadowModel)}</td><td>{Format.Count(p.N)}</td><td>{Format.Percent(p.AccuracyServed)} / {Format.Percent(p.AccuracyShadow)}</td>")
                .Append(C, $"<td>{E(Format.Points(p.Diff))} ({E(Format.Points(p.CiLow))} to {E(Format.Points(p.CiHigh))})</td><td>{Format.Count(p.ServedOnlyCorrect)} / {Format.Count(p.ShadowOnlyCorrect)}</td>")
                .Append(C, $"<td>{E(Format.P(p.PValue))} ({E(Format.P(p.PValueExact))})</td>")
                .Append(C, $"<td>{Format.Percent(p.Agreement)} ({Format.Percent(p.AgreementLow)} to {Format.Percent(p.AgreementHigh)}) of {Format.Count(p.Shadowed)}</td><td>{Format.Milliseconds(p.ShadowLatencyP50Ms)} / {Format.Milliseconds(p.ShadowLatencyP95Ms)}</td></tr>");
        }
        return t.Append("</tbody></table></div><p class=\"note\">Each email scored by both models: only the emails where they disagree carry information, so a shadow comparison needs far fewer emails than a split test. Agreement is over every shadowed email, labelled or not; the shadow's latency, measured off the served request, is what serving it would cost.</p></section>\n").ToString();
    }

    /// <summary>The experiment's phase changes: when, by whom (a person or the autopilot), and why.</summary>
    private static string LifecycleSection(AnalysisResult r)
    {
        if (r.Lifecycle.Count == 0)
        {
            return "";
        }
        var t = new StringBuilder("<section id=\"lifecycle\"><h2>Timeline</h2><div class=\"scroll\"><table><thead><tr><th>when</th><th>change</th><th>by</th><th>why</th></tr></thead><tbody>");
        foreach (var step in r.Lifecycle)
        {
            string why = step.Status is { } status ? $"{status}{(step.Reason is { } reason ? "; " + reason : "")}" : step.Reason ?? "—";
            t.Append(C, $"<tr><td>{E(step.At.UtcDateTime.ToString("d MMM yyyy HH:mm", C))}</td><td>{E(step.From)} → {E(step.To)}{(step.Forced ? " <span class=\"tag\">forced</span>" : "")}</td><td>{E(step.By)}</td><td>{E(why)}</td></tr>");
        }
        return t.Append("</tbody></table></div><p class=\"note\">The autopilot's actions are in the audit log with the analysis that justified each (<code>audit/{experiment}/</code> in the experiments container).</p></section>\n").ToString();
    }

    private static string Plain(Estimate e) => e.Value is not double v ? "—"
        : e.CiLow is double low && e.CiHigh is double high ? $"{v.ToString("0.000", C)} ({low.ToString("0.000", C)}–{high.ToString("0.000", C)})"
        : v.ToString("0.000", C);

    private static string Signed(double? v, string unit) => v is double d ? (d >= 0 ? "+" : "−") + Math.Abs(d).ToString(Math.Abs(d) < 10 ? "0.0" : "0", C) + unit : "—";

    private static string Between(Estimate e, string unit) => e.CiLow is null ? "—" : $"{Signed(e.CiLow, unit)} to {Signed(e.CiHigh, unit)}";

    private static string MethodsSection(AnalysisResult r)
    {
        string alpha = r.Alpha.ToString("0.###", C);
        var s = new StringBuilder("<section class=\"methods\"><h2>How these numbers are made</h2><ul>");
        s.Append(C, $"<li>Significance level {alpha} ({(1 - r.Alpha) * 100:0.#}% intervals). A p-value is the chance of a difference at least this large if the arms were truly equal; it is not the chance that the result is real.</li>");
        s.Append("<li>The split is checked against the planned weights with a chi-square test; a p-value under 0.001 means the assignment or the logging is broken and no other number should be trusted.</li>");
        if (r.Kind == "template")
        {
            s.Append("<li>Reply rates are compared with a chi-square test across all templates, then in pairs with two-proportion z-tests whose p-values are adjusted with Holm's method (Benjamini–Hochberg is in the JSON). The probability to be best comes from Beta posteriors with a uniform prior.</li>");
        }
        else
        {
            s.Append("<li>Accuracy is compared with a two-proportion z-test. Handling time is compared three ways: Welch's t-test on seconds, Welch's t-test on log seconds (the ratio of geometric means, robust to a few very long emails), and the Mann–Whitney rank test with the Hodges–Lehmann shift.</li>");
        }
        s.Append(C, $"<li>The always-valid bounds are an asymptotic confidence sequence (Gaussian mixture, tuned for {Format.Count((long)r.Sequential.TuningUnits)} units): they may be read every day without inflating false positives. Decisions use {E(r.Sequential.DecisionsUse == "fixed-horizon" ? "the fixed-horizon test, since the planned sample is reached" : "the always-valid p-value until the planned sample is reached")}.</li>");
        if (r.Phase == "aa")
        {
            s.Append("<li>The A/A check is one family: the accuracy and handling-time tests are adjusted together with Holm's method, and the split and outcome-coverage checks spend 0.001 each of the significance level, so a correct setup fails the check at most that often.</li>");
        }
        if (r.Classification is not null)
        {
            s.Append("<li>Recall and precision intervals are Wilson intervals; macro-F1 and calibration error intervals come from a seeded Poisson bootstrap over emails (400 replicates); the Brier score's from a t interval.</li>");
        }
        if (r.UnitLevelMetrics)
        {
            s.Append("<li>Some units received several emails, so rates and means are per unit, with variances from the delta method.</li>");
        }
        s.Append(C, $"<li>Data: {Format.Count(r.Log.Lines)} log lines from {Format.Count(r.Log.Sources)} source(s), exposures from {E(Format.Date(r.FirstExposure))} to {E(Format.Date(r.LastExposure))}; {Format.Count(r.Log.DuplicateExposures)} repeated exposures counted once, {Format.Count(r.Log.MalformedLines)} malformed lines skipped.</li>");
        if (r.Log.FallbackExposures > 0)
        {
            s.Append(C, $"<li>{Format.Count(r.Log.FallbackExposures)} exposures were answered by the control's model because the arm's own model was unavailable; they are {(r.Log.FallbacksExcluded ? "left out of" : "counted in")} the numbers above.</li>");
        }
        return s.Append("</ul></section>\n").ToString();
    }

    private static void AppendChart(StringBuilder html, string title, string? svg, string caption)
    {
        if (svg is null)
        {
            return;
        }
        html.Append(C, $"<section><h2>{E(title)}</h2><figure>{svg}<figcaption>{E(caption)}</figcaption></figure></section>\n");
    }

    private static string Fact(string label, string value, string? tone) =>
        $"<div class=\"fact{(tone is null ? "" : " fact-" + tone)}\"><span>{E(label)}</span><p>{E(value)}</p></div>";

    private static string SrmText(SampleRatioResult srm) =>
        srm.PValue is null ? "not testable yet"
        : srm.Mismatch ? $"mismatch ({Format.P(srm.PValue)}): the arms did not get the planned shares"
        : srm.Warning ? $"borderline ({Format.P(srm.PValue)}): watch it"
        : $"as planned ({Format.P(srm.PValue)})";

    private static string SampleText(AnalysisResult r, DateOnly? completion)
    {
        long units = r.Arms.Sum(a => a.Units);
        if (r.PlannedUnits is not long planned)
        {
            return $"{Format.Count(units)} units (no planned size given)";
        }
        string done = $"{Format.Count(units)} of {Format.Count(planned)} planned units ({Format.Percent(Math.Min(1, (double)units / planned))})";
        return completion is { } end ? $"{done}; at the current pace complete around {end.ToString("d MMM yyyy", C)}" : done;
    }

    private static string Difference(Comparison c, bool time) => c.Test switch
    {
        _ when c.Diff is null => c.Reason?.ToString() ?? "—",
        "welch-t-log" => $"{Format.Relative(c.RelLift)} (geometric mean)",
        _ when time => $"{Format.SignedDuration(c.Diff)}{(c.RelLift is double rel ? $" ({Format.Relative(rel)})" : "")}",
        _ => Format.Points(c.Diff),
    };

    private static string Interval(Comparison c, bool time, double? low, double? high)
    {
        if (low is null || high is null)
        {
            return "—";
        }
        return c.Test == "welch-t-log" && c.RelCiLow is not null && low == c.CiLow
            ? $"{Format.Relative(c.RelCiLow)} to {Format.Relative(c.RelCiHigh)}"
            : time ? $"{Format.SignedDuration(low)} to {Format.SignedDuration(high)}" : $"{Format.Points(low)} to {Format.Points(high)}";
    }

    private static string TestName(string test) => test switch
    {
        "two-proportion-z" => "two-proportion z",
        "delta-method-z" => "delta-method z (per unit)",
        "welch-t" => "Welch t, seconds",
        "welch-t-log" => "Welch t, log seconds",
        "welch-t-cuped" => "Welch t, seconds adjusted for the pre-experiment covariate (CUPED)",
        "mann-whitney" => "Mann–Whitney, Hodges–Lehmann shift",
        "chi-square" => "chi-square",
        _ => test,
    };

    private static string MetricTitle(string metric) => Metrics.Find(metric)?.Title ?? metric;

    private static string PhaseName(string? phase) => phase switch { "aa" => "A/A phase", "ab" => "A/B phase", _ => "no phase" };

    private static string Tone(string status) => status switch
    {
        "aa-passed" or "ab-winner" or "template-winner" => "good",
        "srm-mismatch" or "aa-failed" or "outcome-coverage-mismatch" or "ab-guardrail-breached" => "bad",
        _ => "neutral",
    };

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private const string Style = """
        :root{--ink:#1d2330;--muted:#5b6475;--line:#d9dee7;--good:#009E73;--bad:#D55E00;--warn:#E69F00;--accent:#0072B2}
        *{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#f6f7f9}
        main{max-width:860px;margin:0 auto;padding:16px}header,section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:16px 20px;margin:0 0 14px}
        h1{margin:2px 0 8px;font-size:1.7rem}h2{font-size:1.15rem;margin:0 0 10px}.kicker{margin:0;color:var(--muted);font-size:.85rem;text-transform:uppercase;letter-spacing:.04em}
        .status{display:inline-block;margin:0 0 8px;padding:2px 10px;border-radius:999px;font-weight:600;font-size:.9rem;border:2px solid}
        .status-good{color:#00664a;border-color:var(--good)}.status-bad{color:#9c3d00;border-color:var(--bad)}.status-neutral{color:var(--muted);border-color:var(--line)}
        .verdict{font-size:1.15rem;margin:0}.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:10px}
        .fact{border-left:5px solid var(--line);padding:4px 10px}.fact span{font-size:.8rem;color:var(--muted);text-transform:uppercase}.fact p{margin:2px 0 0}
        .fact-good{border-color:var(--good)}.fact-bad{border-color:var(--bad)}.fact-warn{border-color:var(--warn)}
        .scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;margin:0 0 10px;font-variant-numeric:tabular-nums}
        th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);white-space:nowrap}th{font-size:.8rem;color:var(--muted);font-weight:600}
        .tag{font-size:.75rem;color:var(--muted);border:1px solid var(--line);border-radius:4px;padding:0 4px}.disagree td{background:#fff4e0}
        figure{margin:0}svg.chart{width:100%;height:auto;display:block}figcaption,.note{color:var(--muted);font-size:.9rem}
        .methods li{margin:0 0 6px}.warning{margin:8px 0 0;padding:6px 10px;border-left:5px solid var(--warn);background:#fff8e8}
        @media (max-width:560px){main{padding:8px}header,section{padding:12px}h1{font-size:1.35rem}th,td{padding:4px 6px;font-size:.9rem}}
        """;
}
