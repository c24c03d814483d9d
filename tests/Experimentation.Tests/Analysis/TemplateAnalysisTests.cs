using System.Globalization;
using Verdict.Experimentation.Analysis;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Analysis;

public sealed class TemplateAnalysisTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Log(int perArm, params (string Arm, double ReplyRate, double PositiveShare)[] arms) =>
        new SyntheticTemplateLog { MessagesPerArm = perArm, Arms = arms }.WriteTo(Path.Combine(_dir.Path, "tpl.jsonl"));

    [Fact]
    public async Task Run_OneTemplateClearlyBetter_NamesItTheWinner()
    {
        string path = Log(3000, ("t-a", 0.20, 0.30), ("t-b", 0.20, 0.50), ("t-c", 0.20, 0.30));
        var r = await ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = [path] });
        Assert.Equal("template", r.Kind);
        Assert.Equal("template-winner", r.Verdict.Status);
        Assert.Equal("t-b", r.Verdict.Winner);
        var metric = r.Metrics.Single(m => m.Metric == "positiveReplyRate");
        Assert.Equal("chi-square", metric.Omnibus!.Test);
        Assert.Equal(3, metric.Comparisons.Count);
        Assert.All(metric.Comparisons, c => Assert.NotNull(c.PValueBH));
    }

    [Fact]
    public async Task Run_SameReplyRateDifferentIntent_RawReplyRateSeesNoDifference()
    {
        string path = Log(3000, ("t-a", 0.20, 0.30), ("t-b", 0.20, 0.50));
        var r = await ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = [path] });
        Assert.False(r.Metrics.Single(m => m.Metric == "replyRate").Omnibus!.Significant);
        Assert.True(r.Metrics.Single(m => m.Metric == "positiveReplyRate").Omnibus!.Significant);
    }

    [Fact]
    public async Task Run_NoDifferenceAtSample_SaysSo()
    {
        string path = Log(1000, ("t-a", 0.20, 0.30), ("t-b", 0.20, 0.30));
        var r = await ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = [path] });
        Assert.Equal("template-no-difference", r.Verdict.Status);
    }

    [Fact]
    public async Task Run_TwoTemplates_EveryPairwiseComparisonHasHolmAndBhPValues()
    {
        string path = Log(2000, ("t-a", 0.20, 0.30), ("t-b", 0.20, 0.45));
        var r = await ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = [path] });
        foreach (var metric in r.Metrics)
        {
            var c = Assert.Single(metric.Comparisons);
            // R: p.adjust(p, "holm") and p.adjust(p, "BH") of a single p-value return it unchanged.
            Assert.Equal(c.PValue, c.PValueHolm);
            Assert.Equal(c.PValue, c.PValueBH);
        }
    }
}
