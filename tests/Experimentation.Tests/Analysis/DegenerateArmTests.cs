using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Statistics;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Analysis;

/// <summary>Degenerate arms (all right, all wrong, one outcome, no outcomes): every interval is defined or has a reason.</summary>
public sealed class DegenerateArmTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string, double, double, int, SyntheticOutcomes> Cases() => new()
    {
        { "all right vs all wrong", 1.0, 0.0, 30, SyntheticOutcomes.IntentAndHandling },
        { "all right in both", 1.0, 1.0, 30, SyntheticOutcomes.IntentAndHandling },
        { "one unit per arm", 0.8, 0.8, 1, SyntheticOutcomes.IntentAndHandling },
        { "no handling times", 0.9, 0.1, 25, SyntheticOutcomes.IntentOnly },
        { "no outcomes", 0.8, 0.8, 20, SyntheticOutcomes.None },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task EveryIntervalIsDefinedOrSaysWhyNot_AndRateDifferencesStayWithinMinusOneToOne(string name, double control, double treatment, int units, SyntheticOutcomes outcomes)
    {
        string path = new SyntheticLog { UnitsPerArm = units, Seed = 41, Outcomes = outcomes, Arms = [("champion", control, 1), ("challenger", treatment, 1)] }.WriteTo(_dir.Combine("degenerate.jsonl"));
        var r = await ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = [path] });

        foreach (var m in r.Metrics)
        {
            foreach (var a in m.Arms)
            {
                Assert.True(a.CiLow is not null || a.Reason is not null, $"{name}: {m.Metric} arm {a.Name} has no interval and no reason");
            }
            foreach (var c in m.Comparisons.Where(c => c.Test != "mann-whitney"))
            {
                Assert.True((c.CiLow is not null && c.CiHigh is not null) || c.Reason is not null, $"{name}: {m.Metric} {c.Test} has no interval and no reason");
                if (m.Metric == "accuracy" && c.CiLow is double low)
                {
                    Assert.InRange(low, -1, 1);
                    Assert.InRange(c.CiHigh!.Value, -1, 1);
                    Assert.True(c.CiHigh > low, $"{name}: a zero-width interval");
                }
            }
        }
        foreach (var i in r.Impact)
        {
            Assert.True(i.AccuracyPoints.CiLow is not null || i.AccuracyPoints.Reason is not null, name);
            Assert.True(i.RepMinutesSavedPer1000Emails.CiLow is not null || i.RepMinutesSavedPer1000Emails.Reason is not null, name);
        }
        foreach (var a in r.Classification?.Arms ?? [])
        {
            Assert.True(a.MacroF1.CiLow is not null || a.MacroF1.Reason is not null, name);
            Assert.True(a.Calibration.Brier.CiLow is not null || a.Calibration.Brier.Reason is not null, name);
        }
    }
}
