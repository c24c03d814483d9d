using System.Globalization;
using System.Text;
using Verdict.Experimentation.Analysis;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Analysis;

/// <summary>The A/A replay: random splits of a real log's units, analysed as <c>verdict analyze</c> does.</summary>
public sealed class AaReplayTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// An A/A log of 2,000 contacts with one to three emails each, both arms serving the same model. Contacts differ:
    /// a third are slow (handling time ×1.6) and their emails are harder (accuracy 0.7 instead of 0.85). With
    /// <paramref name="biased"/>, the assignment has a split bug: slow contacts go to arm b 65 % of the time and the
    /// others 41 %, so the arms stay about equal in size.
    /// </summary>
    private string Log(string name, bool biased, int seed)
    {
        var random = new Random(seed);
        var c = CultureInfo.InvariantCulture;
        var lines = new StringBuilder();
        int id = 0;
        for (int u = 0; u < 2000; u++)
        {
            bool slow = random.NextDouble() < 1.0 / 3;
            double toB = biased ? (slow ? 0.65 : 0.41) : 0.5;
            string arm = random.NextDouble() < toB ? "b" : "a";
            int emails = 1 + random.Next(3);
            for (int e = 0; e < emails; e++, id++)
            {
                bool right = random.NextDouble() < (slow ? 0.7 : 0.85);
                double seconds = Math.Round(Math.Exp(4.5 + (slow ? Math.Log(1.6) : 0) + (0.5 * Normal(random))), 1);
                lines.AppendLine(c, $$"""{"type":"scored","id":"e{{id}}","ts":"2026-11-02T08:00:00Z","experiment":"replayed","arm":"{{arm}}","unit":"contact-{{u}}","model":"intent@1","intent":"positive","confidence":0.8,"phase":"aa"}""");
                lines.AppendLine(c, $$"""{"type":"outcome","id":"e{{id}}","ts":"2026-11-02T09:00:00Z","trueIntent":"{{(right ? "positive" : "objection")}}","handlingSeconds":{{seconds}}}""");
            }
        }
        string path = _dir.Combine(name);
        File.WriteAllText(path, lines.ToString());
        return path;
    }

    private static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    [Fact]
    public async Task OnALogWhoseArmsAreTrulyEqual_EveryDecisiveTestAndTheGate_StayWithinTheirBand_AndTheRealSplitIsConsistent()
    {
        var request = new AnalysisRequest { Events = [Log("equal.jsonl", biased: false, seed: 11)] };

        var r = await AaReplay.RunAsync(request, splits: 300, seed: 7);

        Assert.Equal(("replayed", "aa", 300, 2000L), (r.Experiment, r.Phase, r.Splits, r.Units));
        var decisive = r.Tests.Where(t => t.Decisive).ToList();
        Assert.Contains(decisive, t => t.Metric == "accuracy");
        Assert.Contains(decisive, t => t.Metric == "handlingSeconds");
        // Each rate's 99 % interval holds alpha: the tests reject as often as they claim on this log.
        Assert.All(decisive, t => Assert.Equal((t.Metric, t.Test, AaReplay.Ok), (t.Metric, t.Test, t.Status)));
        Assert.All(decisive, t => Assert.InRange(t.Rate!.Value, 0.01, 0.11));
        Assert.Equal(AaReplay.Ok, r.Gate.Status);
        Assert.True(r.Gate.Rate <= 0.08, $"gate {r.Gate.Rate}");
        Assert.Equal("consistent", r.RealSplit!.Status);
        // The sample-ratio check leads the table.
        Assert.Equal(("split", "srm"), (r.Tests[0].Metric, r.Tests[0].Test));
        Assert.Contains("| handlingSeconds |", AaReplay.ToMarkdown(r), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnALogWithAPlantedSplitBug_TheRealSplitIsFlagged_NamingTheMetricsItMoved()
    {
        var request = new AnalysisRequest { Events = [Log("biased.jsonl", biased: true, seed: 11)] };

        var r = await AaReplay.RunAsync(request, splits: 300, seed: 7);

        var real = r.RealSplit!;
        Assert.Equal("suspect", real.Status);
        var flagged = real.Tests.Where(t => t.Flagged).Select(t => t.Metric).Distinct().ToList();
        Assert.Contains("handlingSeconds", flagged);
        Assert.Contains("accuracy", flagged);
        // The split is about even in size, so the sample-ratio check alone would not have caught it.
        Assert.DoesNotContain("split", flagged);
        Assert.Contains("split bug", real.Summary, StringComparison.Ordinal);
        // Random splits of the same units are still fine: the bug is in the real split, not the tests.
        Assert.Equal(AaReplay.Ok, r.Gate.Status);
    }

    [Fact]
    public async Task TheSameSeed_GivesTheSameSplits_AndAnotherSeedOthers()
    {
        var request = new AnalysisRequest { Events = [Log("seeded.jsonl", biased: false, seed: 3)] };

        var first = await AaReplay.RunAsync(request, splits: 40, seed: 1);
        var again = await AaReplay.RunAsync(request, splits: 40, seed: 1);
        var other = await AaReplay.RunAsync(request, splits: 40, seed: 2);

        Assert.Equal(AaReplay.ToJson(first), AaReplay.ToJson(again));
        Assert.NotEqual(first.Tests.Select(t => t.FalsePositives), other.Tests.Select(t => t.FalsePositives));
    }
}
