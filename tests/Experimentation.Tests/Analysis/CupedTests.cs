using System.Globalization;
using System.Text;
using Verdict.Experimentation.Analysis;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Analysis;

/// <summary>CUPED on handling time: a pre-experiment covariate on outcome events gives a regression-adjusted comparison.</summary>
public sealed class CupedTests : IDisposable
{
    private static readonly double[] Xc = [120, 200, 90, 300, 150, 180, 240, 110, 160, 210];
    private static readonly double[] Yc = [130, 215, 100, 290, 170, 175, 260, 120, 150, 230];
    private static readonly double[] Xt = [140, 100, 260, 190, 220, 130, 170, 310, 90, 200];
    private static readonly double[] Yt = [120, 95, 240, 170, 205, 125, 150, 280, 85, 180];

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<AnalysisResult> AnalyzeAsync(bool withCovariate)
    {
        var lines = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        foreach (var (arm, xs, ys) in new[] { ("champion", Xc, Yc), ("challenger", Xt, Yt) })
        {
            for (int i = 0; i < xs.Length; i++)
            {
                lines.AppendLine(c, $$"""{"type":"scored","id":"{{arm}}-{{i}}","ts":"2026-11-02T08:00:00Z","experiment":"cuped","arm":"{{arm}}","unit":"u-{{arm}}-{{i}}","model":"{{arm}}@1","intent":"positive","confidence":0.9}""");
                string covariate = withCovariate ? $",\"covariate\":{xs[i].ToString(c)}" : "";
                lines.AppendLine(c, $$"""{"type":"outcome","id":"{{arm}}-{{i}}","ts":"2026-11-02T09:00:00Z","trueIntent":"positive","handlingSeconds":{{ys[i].ToString(c)}}{{covariate}}}""");
            }
        }
        string path = _dir.Combine($"cuped-{withCovariate}.jsonl");
        await File.WriteAllTextAsync(path, lines.ToString());
        return await ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = [path] });
    }

    [Fact]
    public async Task Covariate_GivesTheRegressionAdjustedWelchTest_AndItsVarianceReduction_AsScipy()
    {
        var r = await AnalyzeAsync(withCovariate: true);
        var cuped = r.Metrics.Single(m => m.Metric == "handlingSeconds").Comparisons.Single(x => x.Test == "welch-t-cuped");

        // theta = (Σ within-arm cov(x, y)) / (Σ within-arm var(x)); adjusted y' = y − theta·(x − mean of all x);
        // scipy.stats.ttest_ind(y't, y'c, equal_var=False) and the Welch interval (scipy.stats.t.ppf(0.975, df)):
        //   diff -23.6413164057685, CI (-32.6254646881031, -14.6571681234339), p 9.22636046599388e-05, df 12.0805094612847
        // variance reduction 1 − Σ(adjusted within-arm squares) / Σ(raw within-arm squares) = 0.978548540085183
        Assert.Equal(-23.6413164057685, cuped.Diff!.Value, 1e-9);
        Assert.Equal(-32.6254646881031, cuped.CiLow!.Value, 1e-7);
        Assert.Equal(-14.6571681234339, cuped.CiHigh!.Value, 1e-7);
        Assert.Equal(9.22636046599388e-05, cuped.PValue!.Value, 1e-12);
        Assert.Equal(12.0805094612847, cuped.Df!.Value, 1e-9);
        Assert.Equal(0.978548540085183, cuped.VarianceReduction!.Value, 1e-12);
        // The raw Welch test on the same times: scipy.stats.ttest_ind(yt, yc, equal_var=False).pvalue -> 0.508639750484916
        var raw = r.Metrics.Single(m => m.Metric == "handlingSeconds").Comparisons.Single(x => x.Test == "welch-t");
        Assert.Equal(0.508639750484916, raw.PValue!.Value, 1e-12);
    }

    [Fact]
    public async Task WithoutTheField_NothingChanges()
    {
        var r = await AnalyzeAsync(withCovariate: false);
        Assert.Equal(["welch-t", "welch-t-log", "mann-whitney"], r.Metrics.Single(m => m.Metric == "handlingSeconds").Comparisons.Select(x => x.Test));
    }

    [Fact]
    public async Task ACovariateThatIsNotANumber_IsAMalformedLineNamingTheField()
    {
        string path = _dir.Combine("bad.jsonl");
        await File.WriteAllLinesAsync(path,
        [
            """{"type":"scored","id":"a","ts":"2026-11-02T08:00:00Z","experiment":"e","arm":"champion","intent":"x","confidence":0.5}""",
            """{"type":"outcome","id":"a","ts":"2026-11-02T09:00:00Z","handlingSeconds":3,"covariate":"high"}""",
        ]);
        var r = await ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = [path] });
        Assert.Equal(1, r.Log.MalformedLines);
        Assert.EndsWith(":2: covariate must be a finite number", r.Log.MalformedExamples[0], StringComparison.Ordinal);
    }
}
