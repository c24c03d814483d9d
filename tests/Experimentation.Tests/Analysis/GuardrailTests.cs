using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Experiments;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Analysis;

/// <summary>Non-inferiority guardrails: the interval against the margin, not "not significantly worse".</summary>
public sealed class GuardrailTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<AnalysisResult> Analyze(SyntheticLog log, params Guardrail[] guardrails)
    {
        string path = log.WriteTo(_dir.Combine($"log-{Guid.NewGuid():N}.jsonl"));
        return await ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = [path], Guardrails = guardrails });
    }

    [Fact]
    public async Task FasterChallengerWithEqualAccuracy_GuardrailShownToHold_Wins()
    {
        var r = await Analyze(new SyntheticLog { UnitsPerArm = 8000, Seed = 31, Arms = [("champion", 0.8, 1.0), ("challenger", 0.8, 0.9)] }, new Guardrail("accuracy", 0.03));
        var g = Assert.Single(r.Guardrails);
        Assert.Equal(("accuracy", "challenger", "met"), (g.Metric, g.Arm, g.Status));
        var accuracy = r.Metrics.Single(m => m.Metric == "accuracy").Comparisons.Single();
        Assert.Equal(accuracy.CiLow, g.WorstCase);
        Assert.Equal(accuracy.CiHigh, g.BestCase);
        Assert.True(g.WorstCase > -0.03);
        Assert.Equal("ab-winner", r.Verdict.Status);
        Assert.Contains("Guardrails hold: accuracy may drop at most 3.0 pts", r.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FasterChallengerOnASmallSample_GuardrailNotShown_IsNoWinnerYet()
    {
        // Faster, and not significantly less accurate: without the guardrail this is a winner.
        var log = new SyntheticLog { UnitsPerArm = 1500, Seed = 32, Arms = [("champion", 0.8, 1.0), ("challenger", 0.8, 0.85)] };
        var without = await Analyze(log);
        Assert.Equal("ab-winner", without.Verdict.Status);

        var r = await Analyze(log, new Guardrail("accuracy", 0.005));
        Assert.Equal("not-shown", Assert.Single(r.Guardrails).Status);
        Assert.Equal("ab-inconclusive", r.Verdict.Status);
        Assert.Null(r.Verdict.Winner);
        Assert.Contains("guardrails are not shown yet: accuracy may drop at most 0.5 pts", r.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FasterButClearlyLessAccurate_GuardrailBreached_StopsTheTest()
    {
        var r = await Analyze(new SyntheticLog { UnitsPerArm = 6000, Seed = 33, Arms = [("champion", 0.8, 1.0), ("challenger", 0.72, 0.85)] }, new Guardrail("accuracy", 0.02));
        var g = Assert.Single(r.Guardrails);
        Assert.Equal("breached", g.Status);
        Assert.True(g.BestCase < -0.02);
        Assert.Equal("ab-guardrail-breached", r.Verdict.Status);
        Assert.Equal("champion", r.Verdict.Winner);
        Assert.StartsWith("challenger breaks the accuracy guardrail", r.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandlingTimeGuardrail_IsARelativeChangeOfTheGeometricMean()
    {
        var r = await Analyze(new SyntheticLog { UnitsPerArm = 6000, Seed = 34, Arms = [("champion", 0.78, 1.0), ("challenger", 0.84, 1.0)] }, new Guardrail("handlingSeconds", 0.05));
        var g = Assert.Single(r.Guardrails);
        var log = r.Metrics.Single(m => m.Metric == "handlingSeconds").Comparisons.Single(c => c.Test == "welch-t-log");
        Assert.Equal(Math.Exp(log.CiHigh!.Value) - 1, g.WorstCase!.Value, 1e-12);
        Assert.Equal("met", g.Status);
        Assert.Equal("ab-winner", r.Verdict.Status);
    }

    [Fact]
    public async Task BeforeThePlannedSample_TheAlwaysValidBoundsAreUsed()
    {
        string path = new SyntheticLog { UnitsPerArm = 3000, Seed = 35 }.WriteTo(_dir.Combine("early.jsonl"));
        var r = await ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = [path], PlannedUnits = 100_000, Guardrails = [new Guardrail("accuracy", 0.02)] });
        var g = Assert.Single(r.Guardrails);
        var accuracy = r.Metrics.Single(m => m.Metric == "accuracy").Comparisons.Single();
        Assert.Equal("always-valid", g.Interval);
        Assert.Equal(accuracy.CsLow, g.WorstCase);
    }

    [Theory]
    [InlineData("replyRate", 0.01, "'replyRate' is not a metric of model experiments")]
    [InlineData("accuracy", 0, "the margin of accuracy must be in (0, 1)")]
    [InlineData("accuracy", double.NaN, "the margin of accuracy must be in (0, 1)")]
    public void Problem_NamesTheGuardrailThatIsWrong(string metric, double margin, string expected)
    {
        Assert.Contains(expected, GuardrailCheck.Problem([new Guardrail(metric, margin)], ExperimentKind.Model), StringComparison.Ordinal);
    }
}
