using System.Text.Json;
using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Statistics;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Analysis;

public sealed class ExperimentAnalysisTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<AnalysisResult> Analyze(SyntheticLog log, AnalysisRequest? overrides = null)
    {
        string path = log.WriteTo(Path.Combine(_dir.Path, $"log-{Guid.NewGuid():N}.jsonl"));
        var request = (overrides ?? new AnalysisRequest { Events = [] }) with { Events = [path] };
        return await ExperimentAnalysis.RunAsync(request);
    }

    [Fact]
    public async Task Run_ChallengerMoreAccurateAndFaster_IsTheWinner()
    {
        var r = await Analyze(new SyntheticLog { UnitsPerArm = 4000, Arms = [("champion", 0.78, 1.0), ("challenger", 0.83, 0.93)] });
        Assert.Equal("ab-winner", r.Verdict.Status);
        Assert.Equal("challenger", r.Verdict.Winner);
        Assert.StartsWith("challenger beats champion: accuracy", r.Verdict.Summary, StringComparison.Ordinal);
        var accuracy = r.Metrics.Single(m => m.Metric == "accuracy").Comparisons.Single();
        Assert.Equal("two-proportion-z", accuracy.Test);
        Assert.InRange(accuracy.Diff!.Value, 0.03, 0.07);
        var tests = r.Metrics.Single(m => m.Metric == "handlingSeconds").Comparisons.Select(c => c.Test);
        Assert.Equal(["welch-t", "welch-t-log", "mann-whitney"], tests);
    }

    [Fact]
    public async Task Run_HeavyTailedTimes_LogAndRankTestsFindTheReductionWelchMisses()
    {
        // −6.6% handling time with a few extreme times: the published support-ticket effect.
        var r = await Analyze(new SyntheticLog { UnitsPerArm = 12000, LogSd = 1.6, Seed = 7, Arms = [("champion", 0.8, 1.0), ("challenger", 0.8, 0.934)] });
        var byTest = r.Metrics.Single(m => m.Metric == "handlingSeconds").Comparisons.ToDictionary(c => c.Test);
        Assert.True(byTest["welch-t-log"].PValue < 0.05, $"log p = {byTest["welch-t-log"].PValue}, rel = {byTest["welch-t-log"].RelLift}, mw p = {byTest["mann-whitney"].PValue}");
        Assert.True(byTest["mann-whitney"].PValue < 0.05);
        Assert.True(byTest["welch-t"].PValue > byTest["welch-t-log"].PValue);
        Assert.InRange(byTest["welch-t-log"].RelLift!.Value, -0.12, -0.02);
    }

    [Fact]
    public async Task Run_AaPhaseWithoutDifference_Passes()
    {
        var r = await Analyze(new SyntheticLog { Phase = "aa", UnitsPerArm = 3000, Seed = 11, Arms = [("champion", 0.8, 1), ("challenger", 0.8, 1)] });
        Assert.Equal("aa", r.Phase);
        Assert.Equal("aa-passed", r.Verdict.Status);
        Assert.StartsWith("A/A check passed", r.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_DeclaredControlWithoutExposuresYet_IsNoDataNotAnError()
    {
        // What the report of a new experiment asks for when its first emails all went to the challenger.
        var r = await Analyze(new SyntheticLog { Phase = "aa", UnitsPerArm = 2, Arms = [("challenger", 0.8, 1)] },
            new AnalysisRequest { Events = [], Control = "champion", Weights = new Dictionary<string, double> { ["champion"] = 0.5, ["challenger"] = 0.5 } });

        Assert.Null(r.Control);
        Assert.Equal("no-data", r.Verdict.Status);
        Assert.Equal("Only challenger has exposures so far; the control arm has none yet, so there is nothing to compare.", r.Verdict.Summary);
        Assert.Equal(2, r.Arms.Single().Units);
    }

    [Fact]
    public async Task Run_ControlTheExperimentDoesNotDeclare_IsAnErrorNamingTheArms()
    {
        var ex = await Assert.ThrowsAsync<Verdict.Experimentation.Events.EventLogException>(() => Analyze(new SyntheticLog { UnitsPerArm = 2 },
            new AnalysisRequest { Events = [], Control = "nobody", Weights = new Dictionary<string, double> { ["champion"] = 0.5, ["challenger"] = 0.5 } }));

        Assert.Equal("--control nobody: no such arm in the log (arms: challenger, champion)", ex.Message);
    }

    [Fact]
    public async Task Run_AaWithoutOutcomes_DoesNotPass()
    {
        // Exposures only: the split can be checked, but no metric can, so the logging of outcomes is unproven.
        var r = await Analyze(new SyntheticLog { Phase = "aa", UnitsPerArm = 3000, Seed = 11, Outcomes = SyntheticOutcomes.None });

        Assert.Equal("aa-in-progress", r.Verdict.Status);
        Assert.Null(r.Verdict.UnitsNeeded);
        Assert.Contains("no metric could be compared", r.Verdict.Summary, StringComparison.Ordinal);
        Assert.Contains("accuracy (every arm needs outcomes with trueIntent)", r.Verdict.Summary, StringComparison.Ordinal);
        Assert.StartsWith("A/A check not passed yet", r.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_AaWithoutHandlingTimes_DoesNotPassOnAccuracyAlone()
    {
        var r = await Analyze(new SyntheticLog { Phase = "aa", UnitsPerArm = 3000, Seed = 11, Outcomes = SyntheticOutcomes.IntentOnly });

        Assert.Equal("aa-in-progress", r.Verdict.Status);
        Assert.Contains("no significant difference between the arms (accuracy", r.Verdict.Summary, StringComparison.Ordinal);
        Assert.Contains("Not comparable yet: handling time (every arm needs outcomes with handlingSeconds", r.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_AbWithoutHandlingTimesAtPlannedSample_IsInconclusiveNotNoDifference()
    {
        var r = await Analyze(new SyntheticLog { UnitsPerArm = 3000, Seed = 11, Outcomes = SyntheticOutcomes.IntentOnly },
            new AnalysisRequest { Events = [], PlannedUnits = 6000 });

        Assert.Equal("ab-inconclusive", r.Verdict.Status);
        Assert.Null(r.Verdict.UnitsNeeded);
        Assert.Contains("Not comparable yet: handling time (every arm needs outcomes with handlingSeconds", r.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WinnerOnAccuracyWithoutHandlingTimes_SaysHandlingTimeIsUntested()
    {
        var r = await Analyze(new SyntheticLog { UnitsPerArm = 4000, Outcomes = SyntheticOutcomes.IntentOnly, Arms = [("champion", 0.78, 1.0), ("challenger", 0.83, 1.0)] });

        Assert.Equal("ab-winner", r.Verdict.Status);
        Assert.Equal("challenger", r.Verdict.Winner);
        Assert.Contains("Promote challenger. Not comparable yet: handling time (every arm needs outcomes with handlingSeconds", r.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_AbWithBothMetricsAtPlannedSample_IsNoDifference()
    {
        var r = await Analyze(new SyntheticLog { UnitsPerArm = 3000, Seed = 11 }, new AnalysisRequest { Events = [], PlannedUnits = 6000 });

        Assert.Equal("ab-no-difference", r.Verdict.Status);
    }

    [Fact]
    public async Task Run_AaBeforePlannedSample_IsInProgressWithUnitsNeeded()
    {
        var r = await Analyze(new SyntheticLog { Phase = "aa", UnitsPerArm = 500, Seed = 11 }, new AnalysisRequest { Events = [], PlannedUnits = 5000 });
        Assert.Equal("aa-in-progress", r.Verdict.Status);
        Assert.Equal(4000, r.Verdict.UnitsNeeded);
        Assert.Equal("always-valid", r.Sequential.DecisionsUse);
    }

    [Fact]
    public async Task Run_SplitNotAsPlanned_ReportsSampleRatioMismatchFirst()
    {
        var r = await Analyze(new SyntheticLog { UnitsPerArm = 2000, Arms = [("champion", 0.8, 1), ("challenger", 0.9, 1)] },
            new AnalysisRequest { Events = [], Weights = new Dictionary<string, double> { ["champion"] = 0.6, ["challenger"] = 0.4 } });
        Assert.True(r.Srm.Mismatch);
        Assert.Equal("srm-mismatch", r.Verdict.Status);
    }

    [Fact]
    public async Task Run_ArmMissingFromWeights_SrmGivesReasonNotException()
    {
        var r = await Analyze(new SyntheticLog { UnitsPerArm = 100 }, new AnalysisRequest { Events = [], Weights = new Dictionary<string, double> { ["champion"] = 1 } });
        Assert.Equal(UninformativeReason.ArmNotInWeights, r.Srm.Reason);
        Assert.Equal("challenger", r.Srm.ReasonDetail);
    }

    [Fact]
    public async Task Run_SeveralEmailsPerUnit_UsesDeltaMethodAtUnitLevel()
    {
        var r = await Analyze(new SyntheticLog { UnitsPerArm = 500, EmailsPerUnit = 3 });
        Assert.True(r.UnitLevelMetrics);
        var accuracy = r.Metrics.Single(m => m.Metric == "accuracy");
        Assert.Equal("unit", accuracy.Level);
        Assert.Equal("delta-method-z", accuracy.Comparisons.Single().Test);
        Assert.Equal(500, accuracy.Arms[0].N);
        Assert.Equal(1500, r.Arms[0].Exposures);
    }

    [Fact]
    public async Task Run_ThreeArms_AdjustsPValuesAndReportsProbabilityBest()
    {
        var r = await Analyze(new SyntheticLog { UnitsPerArm = 1500, Arms = [("champion", 0.8, 1), ("b", 0.8, 1), ("c", 0.85, 1)] });
        var accuracy = r.Metrics.Single(m => m.Metric == "accuracy");
        Assert.NotNull(accuracy.Omnibus);
        Assert.All(accuracy.Comparisons, c => Assert.NotNull(c.PValueHolm));
        Assert.Equal(1.0, accuracy.Arms.Sum(a => a.ProbabilityBest!.Value), 6);
        Assert.Equal("c", accuracy.Arms.MaxBy(a => a.ProbabilityBest)!.Name);
    }

    [Fact]
    public async Task Run_SingleUnit_GivesReasonsNotNaN()
    {
        var r = await Analyze(new SyntheticLog { UnitsPerArm = 1, Arms = [("champion", 1, 1), ("challenger", 1, 1)] });
        string json = AnalysisFormats.ToJson(r);
        Assert.DoesNotContain("NaN", json, StringComparison.Ordinal);
        var welch = r.Metrics.Single(m => m.Metric == "handlingSeconds").Comparisons[0];
        Assert.Equal(UninformativeReason.TooFewObservations, welch.Reason);
        Assert.Equal(UninformativeReason.ZeroVariance, r.Metrics.Single(m => m.Metric == "accuracy").Comparisons.Single().Reason);
    }

    [Fact]
    public async Task ToJson_HasContractTwoKeys()
    {
        var r = await Analyze(new SyntheticLog { UnitsPerArm = 200 });
        using var doc = JsonDocument.Parse(AnalysisFormats.ToJson(r));
        var root = doc.RootElement;
        Assert.Equal("exp-1", root.GetProperty("experiment").GetString());
        Assert.Equal(0.05, root.GetProperty("alpha").GetDouble());
        var arm = root.GetProperty("arms")[0];
        Assert.True(arm.TryGetProperty("exposures", out _) && arm.TryGetProperty("units", out _));
        foreach (string key in new[] { "chiSquare", "df", "pValue", "mismatch" })
        {
            Assert.True(root.GetProperty("srm").TryGetProperty(key, out _), key);
        }
        var metric = root.GetProperty("metrics")[0];
        Assert.Equal("accuracy", metric.GetProperty("metric").GetString());
        foreach (string key in new[] { "name", "n", "mean", "ciLow", "ciHigh" })
        {
            Assert.True(metric.GetProperty("arms")[0].TryGetProperty(key, out _), key);
        }
        foreach (string key in new[] { "control", "treatment", "test", "diff", "ciLow", "ciHigh", "relLift", "relCiLow", "relCiHigh", "pValue", "significant" })
        {
            Assert.True(metric.GetProperty("comparisons")[0].TryGetProperty(key, out _), key);
        }
        Assert.True(root.GetProperty("metrics")[1].GetProperty("arms")[0].TryGetProperty("median", out _));
        Assert.True(root.GetProperty("verdict").TryGetProperty("status", out _));
        Assert.True(root.GetProperty("verdict").TryGetProperty("summary", out _));
    }

    [Fact]
    public async Task ToMarkdown_StartsWithTheVerdict()
    {
        var r = await Analyze(new SyntheticLog { UnitsPerArm = 200 });
        string md = AnalysisFormats.ToMarkdown(r);
        Assert.StartsWith($"## exp-1: {r.Verdict.Status}\n\n{r.Verdict.Summary}", md, StringComparison.Ordinal);
        Assert.Contains("| challenger vs champion | two-proportion-z |", md, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Timeline_IsCumulativePerDay_AndItsLastDayIsTheEmailLevelAccuracyComparison()
    {
        // 2 × 1,000 units, one email each, 430 s apart: the last at 860,000 s, on the tenth day.
        var r = await Analyze(new SyntheticLog { UnitsPerArm = 1000, SecondsBetweenEmails = 430, Arms = [("champion", 0.78, 1.0), ("challenger", 0.84, 1.0)] });

        Assert.Equal(10, r.Timeline.Count);
        Assert.Equal(new DateOnly(2026, 11, 1), r.Timeline[0].Date);
        Assert.Equal(new DateOnly(2026, 11, 10), r.Timeline[^1].Date);
        Assert.All(r.Timeline, d => Assert.Equal("accuracy", d.Metric));
        var totals = r.Timeline.Select(d => d.Exposures.Values.Sum()).ToList();
        Assert.Equal(totals.Order(), totals);
        Assert.Equal(2000, totals[^1]);
        var last = Assert.Single(r.Timeline[^1].Lift);
        var accuracy = r.Metrics.Single(m => m.Metric == "accuracy").Comparisons.Single(c => c.Test == "two-proportion-z");
        Assert.Equal(accuracy.Diff!.Value, last.Diff!.Value, 12);
        Assert.Equal(accuracy.CiLow!.Value, last.CiLow!.Value, 12);
        Assert.True(last.CsLow <= last.CiLow && last.CsHigh >= last.CiHigh, "the confidence sequence is wider than the fixed-horizon interval");
        Assert.True(r.Timeline[0].Lift[0].CiHigh - r.Timeline[0].Lift[0].CiLow > last.CiHigh - last.CiLow, "the interval narrows as data accrues");
    }

    [Fact]
    public async Task HandlingDistribution_CountsEveryTimeOnceOnALogScale()
    {
        var r = await Analyze(new SyntheticLog { UnitsPerArm = 500, Arms = [("champion", 0.8, 1.0), ("challenger", 0.8, 0.5)] });

        var d = r.HandlingDistribution!;
        Assert.Equal(41, d.BinEdges.Count);
        Assert.Equal(d.BinEdges.Order(), d.BinEdges);
        Assert.Equal(500, d.Counts["champion"].Sum());
        Assert.Equal(500, d.Counts["challenger"].Sum());
        // Equal width in log seconds: the ratio of neighbouring edges is constant.
        Assert.Equal(d.BinEdges[1] / d.BinEdges[0], d.BinEdges[40] / d.BinEdges[39], 9);
        double Median(string arm)
        {
            long seen = 0, half = d.Counts[arm].Sum() / 2;
            int bin = d.Counts[arm].TakeWhile(c => (seen += c) < half).Count();
            return d.BinEdges[bin];
        }
        Assert.True(Median("challenger") < Median("champion"), "the faster arm's mass sits lower");
    }
}
