using System.Net;
using System.Text.RegularExpressions;
using Verdict.TestUtilities;

namespace Verdict.Reports.Tests;

public sealed partial class HtmlReportTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [GeneratedRegex("""<svg id="(?<id>[a-z-]+)" class="chart"(?<body>.*?)</svg>""", RegexOptions.Singleline)]
    private static partial Regex Chart();

    [Fact]
    public async Task AbWinner_IsOneSelfContainedPage_WithTheVerdictTheTablesAndThreeDrawnCharts()
    {
        var result = await Scenarios.AnalyzeAsync("ab-winner", _dir.Path);

        string html = HtmlReport.Render(result, new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal("ab-winner", result.Verdict.Status);
        Assert.Contains($"<p id=\"verdict\" class=\"verdict\">{WebUtility.HtmlEncode(result.Verdict.Summary)}</p>", html, StringComparison.Ordinal);
        foreach (string outside in new[] { "<script", "<link", "src=", "http://", "https://", "@import" })
        {
            Assert.DoesNotContain(outside, html, StringComparison.OrdinalIgnoreCase);
        }
        var charts = Chart().Matches(html).ToDictionary(m => m.Groups["id"].Value, m => m.Groups["body"].Value);
        Assert.Equal(["cumulative-lift", "handling-distribution", "sample-progress"], charts.Keys.Order());
        Assert.All(charts.Values, body => Assert.True(Regex.Count(body, "<path") >= 5, "a chart draws its lines"));
        Assert.Contains("Welch t, log seconds", html, StringComparison.Ordinal);
        Assert.Contains(" pts", html, StringComparison.Ordinal);
        Assert.InRange(html.Length, 10_000, 2_000_000);
    }

    [Fact]
    public async Task AbWinner_ShowsImpactGuardrailsCoverageAndPerIntentQuality_InHtmlAndMarkdown()
    {
        var result = await Scenarios.AnalyzeAsync("ab-winner", _dir.Path);
        string html = HtmlReport.Render(result, new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));
        string md = Experimentation.Analysis.AnalysisFormats.ToMarkdown(result);

        var impact = result.Impact.Single();
        string minutes = "+" + impact.RepMinutesSavedPer1000Emails.Value!.Value.ToString("0", System.Globalization.CultureInfo.InvariantCulture) + " min";
        foreach (string section in new[] { "id=\"impact\"", "id=\"guardrails\"", "id=\"coverage\"", "id=\"quality\"", minutes, "macro-F1", "calibration error", "median delay" })
        {
            Assert.Contains(section, html, StringComparison.Ordinal);
        }
        Assert.Equal(2, Regex.Count(html, "<span class=\"status status-good\">met</span>"));
        foreach (string intent in result.Classification!.Labels)
        {
            Assert.Contains($"<tr><td>{intent}</td>", html, StringComparison.Ordinal);
            Assert.Contains($"| {intent} |", md, StringComparison.Ordinal);
        }
        foreach (string heading in new[] { "### Impact against champion", "### Guardrails (non-inferiority)", "### Outcome coverage", "### Classifier quality", "**met**", "Accuracy (higher is better)" })
        {
            Assert.Contains(heading, md, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task CoverageMismatch_SaysWhichArmLacksOutcomes_AndQuotesNoImpact()
    {
        var result = await Scenarios.AnalyzeAsync("coverage-mismatch", _dir.Path);
        string html = HtmlReport.Render(result, new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));
        string md = Experimentation.Analysis.AnalysisFormats.ToMarkdown(result);

        Assert.Equal("outcome-coverage-mismatch", result.Verdict.Status);
        Assert.Contains("mismatch: challenger lacks outcomes", html, StringComparison.Ordinal);
        Assert.Contains("status-bad", html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"impact\"", html, StringComparison.Ordinal);
        Assert.Contains("**mismatch**", md, StringComparison.Ordinal);
        Assert.DoesNotContain("### Impact", md, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoPlannedSample_TheReportWarnsThatPeekingIsNotProtected()
    {
        string path = new SyntheticLog { Experiment = "unplanned", UnitsPerArm = 500 }.WriteTo(Path.Combine(_dir.Path, "unplanned.jsonl"));
        var result = await Experimentation.Analysis.ExperimentAnalysis.RunAsync(new Experimentation.Analysis.AnalysisRequest { Events = [path] });
        string html = HtmlReport.Render(result, new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));
        Assert.Contains("<p class=\"warning\" data-code=\"peeking-not-protected\">", html, StringComparison.Ordinal);
        Assert.Contains("(peeking-not-protected)", Experimentation.Analysis.AnalysisFormats.ToMarkdown(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ControlWithoutExposuresYet_RendersTheVerdictAndTheArmsThatHaveSome()
    {
        // A new experiment whose first emails all went to the challenger, as its report asks for it (control and weights declared).
        string path = new SyntheticLog { Experiment = "fresh", Phase = "aa", UnitsPerArm = 2, Arms = [("challenger", 0.8, 1)] }.WriteTo(Path.Combine(_dir.Path, "fresh.jsonl"));
        var result = await Experimentation.Analysis.ExperimentAnalysis.RunAsync(new Experimentation.Analysis.AnalysisRequest
        {
            Events = [path], Control = "champion", PlannedUnits = 5000,
            Weights = new Dictionary<string, double> { ["champion"] = 0.5, ["challenger"] = 0.5 },
        });

        string html = HtmlReport.Render(result, new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));
        string markdown = Experimentation.Analysis.AnalysisFormats.ToMarkdown(result);

        Assert.Equal("no-data", result.Verdict.Status);
        Assert.Contains(WebUtility.HtmlEncode(result.Verdict.Summary), html, StringComparison.Ordinal);
        Assert.Contains(result.Verdict.Summary, markdown, StringComparison.Ordinal);
        Assert.Contains("| challenger | 2 | 2 |", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EstimatedCompletion_ExtrapolatesTheDailyPaceToThePlannedSample()
    {
        var result = await Scenarios.AnalyzeAsync("ab-winner", _dir.Path);
        long units = result.Arms.Sum(a => a.Units);
        double perDay = (double)units / result.Timeline.Count;

        var end = HtmlReport.EstimatedCompletion(result);

        Assert.Equal(result.Timeline[^1].Date.AddDays((int)Math.Ceiling((20000 - units) / perDay)), end);
        Assert.Null(HtmlReport.EstimatedCompletion(result with { PlannedUnits = units }));
    }

    [Fact]
    public async Task Template_RanksByPositiveReplies_AndFlagsWhereRawReplyRateDisagrees()
    {
        var result = await Scenarios.AnalyzeAsync("template", _dir.Path);

        string html = HtmlReport.Render(result);

        var section = html[html.IndexOf("<section id=\"templates\">", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("</section>", StringComparison.Ordinal)];
        var rows = Regex.Matches(section, "<tr(?: class=\"disagree\")?><td>(\\d)</td><td>([a-z-]+)</td>").Select(m => m.Groups[2].Value).ToList();
        // Positive-intent reply rates: case-study 16.5%, discount 11.7%, short-intro 9%; any reply: short-intro first.
        Assert.Equal(["case-study", "discount", "short-intro"], rows);
        Assert.Contains("class=\"disagree\"", section, StringComparison.Ordinal);
        Assert.Contains("Holm", section, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"handling-distribution\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Arms_ShowTheOfflineMetricsOfTheModelsTheyServed_WhenTheManifestsAreGiven()
    {
        var result = await Scenarios.AnalyzeAsync("ab-winner", _dir.Path);

        string html = HtmlReport.Render(result, models: new Dictionary<string, OfflineMetrics> { ["challenger@1"] = new("test", 992, 0.8014, 0.7807) });

        Assert.Contains("accuracy 80.1%, macro-F1 0.781 on 992 test examples", html, StringComparison.Ordinal);
        Assert.Contains("<td>champion@1</td><td>—</td>", html, StringComparison.Ordinal);
    }
}
