using System.Globalization;
using System.Text;
using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Statistics;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Analysis;

/// <summary>Served and shadow predictions of the same emails, paired: McNemar's test and the paired interval, as R.</summary>
public sealed class PairedShadowTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void McNemar_MatchesR()
    {
        // x <- matrix(c(40, 12, 25, 23), 2): served right and shadow right 40, only served right b = 25, only shadow right c = 12, neither 23.
        var r = McNemarTest.Compute("champion@1", "candidate@2", 100, 40, 25, 12, 0.05);
        // R 4.2: mcnemar.test(x, correct = TRUE) -> statistic 3.89189189189189211, p.value 0.04851973828025054
        Assert.Equal(3.89189189189189211, r.Statistic!.Value, 1e-12);
        Assert.Equal(0.04851973828025054, r.PValue!.Value, 1e-12);
        // binom.test(12, 37)$p.value -> 0.04703102743951611
        Assert.Equal(0.04703102743951611, r.PValueExact!.Value, 1e-12);
        // d <- (c - b)/n; se <- sqrt(((b + c)/n - d^2)/n); d + c(-1, 1) * qnorm(0.975) * se -> -0.24646540729277064 -0.01353459270722937
        Assert.Equal(-0.13, r.Diff!.Value, 1e-15);
        Assert.Equal(-0.24646540729277064, r.CiLow!.Value, 1e-12);
        Assert.Equal(-0.01353459270722937, r.CiHigh!.Value, 1e-12);
        Assert.Equal((0.65, 0.52), (r.AccuracyServed!.Value, r.AccuracyShadow!.Value));
    }

    [Fact]
    public void McNemar_SmallCounts_MatchR_AndAgreementEverywhere_HasAReason()
    {
        // x <- matrix(c(5, 3, 1, 2), 2): b = 1, c = 3. mcnemar.test(x) -> 0.25, 0.6170750774519739; binom.test(1, 4)$p.value -> 0.625
        var r = McNemarTest.Compute("a@1", "b@1", 11, 5, 1, 3, 0.05);
        Assert.Equal(0.25, r.Statistic!.Value, 1e-12);
        Assert.Equal(0.6170750774519739, r.PValue!.Value, 1e-12);
        Assert.Equal(0.625, r.PValueExact!.Value, 1e-12);

        var same = McNemarTest.Compute("a@1", "b@1", 10, 7, 0, 0, 0.05);
        Assert.Equal((0.0, UninformativeReason.ZeroVariance), (same.Diff!.Value, same.Reason!.Value));
        Assert.Null(same.PValue);
    }

    [Fact]
    public async Task ShadowEvents_ArePairedWithTheServedPredictionAndTheOutcome()
    {
        // 100 labelled emails, all served by champion@1 and shadowed by candidate@2, in the pattern of the R case above.
        var lines = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        for (int i = 0; i < 100; i++)
        {
            bool servedRight = i < 40 || (i >= 40 && i < 65);
            bool shadowRight = i < 40 || (i >= 65 && i < 77);
            lines.AppendLine(c, $$"""{"type":"scored","id":"m{{i}}","ts":"2026-11-02T08:00:00Z","experiment":"shadowed","arm":"champion","model":"champion@1","intent":"{{(servedRight ? "positive" : "objection")}}","confidence":0.8}""");
            lines.AppendLine(c, $$"""{"type":"shadow","id":"m{{i}}","ts":"2026-11-02T08:00:01Z","experiment":"shadowed","model":"candidate@2","intent":"{{(shadowRight ? "positive" : "not-sure")}}","confidence":0.7,"latencyMs":{{0.01 * (i + 1)}}}""");
            lines.AppendLine(c, $$"""{"type":"outcome","id":"m{{i}}","ts":"2026-11-02T09:00:00Z","trueIntent":"positive"}""");
        }
        // 20 more emails without an outcome: not in McNemar's counts, but in the agreement (10 agree) and the latency.
        for (int i = 100; i < 120; i++)
        {
            lines.AppendLine(c, $$"""{"type":"scored","id":"m{{i}}","ts":"2026-11-02T08:00:00Z","experiment":"shadowed","arm":"champion","model":"champion@1","intent":"positive","confidence":0.8}""");
            lines.AppendLine(c, $$"""{"type":"shadow","id":"m{{i}}","ts":"2026-11-02T08:00:01Z","experiment":"shadowed","model":"candidate@2","intent":"{{(i < 110 ? "positive" : "objection")}}","confidence":0.7,"latencyMs":{{0.01 * (i + 1)}}}""");
        }
        // A shadow of another experiment, and one without a model, change nothing.
        lines.AppendLine("""{"type":"shadow","id":"m1","ts":"2026-11-02T08:00:01Z","experiment":"other","model":"x@1","intent":"positive"}""");
        lines.AppendLine("""{"type":"shadow","id":"m2","ts":"2026-11-02T08:00:01Z","experiment":"shadowed","intent":"positive"}""");
        string path = _dir.Combine("shadow.jsonl");
        await File.WriteAllTextAsync(path, lines.ToString());

        var r = await ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = [path], Experiment = "shadowed" });

        var p = Assert.Single(r.Paired);
        Assert.Equal(("champion@1", "candidate@2", 100L, 25L, 12L), (p.ServedModel, p.ShadowModel, p.N, p.ServedOnlyCorrect, p.ShadowOnlyCorrect));
        Assert.Equal(0.04851973828025054, p.PValue!.Value, 1e-12);
        Assert.Equal(1, r.Log.MalformedLines);
        Assert.Equal(1, r.Log.OtherExperiments);
        // Shadow events are not exposures: the arm counts are the served emails only.
        Assert.Equal(120, r.Arms.Single().Exposures);
        Assert.Contains("| champion@1 | candidate@2 | 100 |", AnalysisFormats.ToMarkdown(r), StringComparison.Ordinal);

        // Agreement over every shadowed email: the 40 both called positive, and 10 of the unlabelled 20.
        Assert.Equal((120L, 50.0 / 120), (p.Shadowed, p.Agreement!.Value));
        // statsmodels.stats.proportion.proportion_confint(50, 120, alpha=0.05, method='wilson')
        Assert.Equal(0.33238352140475963, p.AgreementLow!.Value, 1e-12);
        Assert.Equal(0.5061196729983578, p.AgreementHigh!.Value, 1e-12);
        // Latencies 0.01 … 1.20 ms: the 60th and the 114th of 120, to within the histogram's 1 %.
        Assert.Equal(0.60, p.ShadowLatencyP50Ms!.Value, 0.60 * 0.01);
        Assert.Equal(1.14, p.ShadowLatencyP95Ms!.Value, 1.14 * 0.01);

        // The SQL the DuckDB engine and the Spark job share pairs them the same way.
        var duck = await Verdict.DuckDb.DuckDbEngine.AnalyzeAsync(new AnalysisRequest { Events = [path], Experiment = "shadowed" }, new Verdict.DuckDb.DuckDbOptions { MemoryLimit = "256MB", Threads = 2 });
        Assert.Equal(p, Assert.Single(duck.Paired));
        Assert.Equal((1L, 1L), (duck.Log.MalformedLines, duck.Log.OtherExperiments));
    }
}
