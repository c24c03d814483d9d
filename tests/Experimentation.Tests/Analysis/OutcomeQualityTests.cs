using System.Globalization;
using System.Text;
using Verdict.Experimentation.Analysis;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Analysis;

/// <summary>
/// Outcome coverage, outcome delays, classifier-native quality, impact and warnings, on a small log whose every
/// number was computed independently (the golden script's calls are next to each value).
/// </summary>
public sealed class OutcomeQualityTests : IDisposable
{
    private static readonly string[] Intents = ["positive", "objection", "unsubscribe"];
    private static readonly DateTimeOffset Start = new(2026, 11, 2, 8, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// 60 emails per arm. Champion: wrong on every fifth, confidence 0.35 + ((37i) mod 60)/100, every outcome logged.
    /// Challenger: wrong on every fourth, confidence 0.40 + ((29i) mod 58)/100, no outcome for i mod 7 = 3.
    /// The same rows are built by the golden script (/usr/bin/python3 with numpy, scipy 1.10, scikit-learn 1.2, statsmodels 0.13).
    /// </summary>
    private static IEnumerable<string> QualityLog()
    {
        var c = CultureInfo.InvariantCulture;
        for (int i = 0; i < 60; i++)
        {
            foreach (string arm in new[] { "champion", "challenger" })
            {
                bool champion = arm == "champion";
                string predicted = Intents[i % 3];
                string truth = champion ? (i % 5 == 0 ? Intents[(i + 1) % 3] : predicted) : (i % 4 == 0 ? Intents[(i + 2) % 3] : predicted);
                double confidence = champion ? 0.35 + (((i * 37) % 60) / 100.0) : 0.40 + (((i * 29) % 58) / 100.0);
                int seconds = champion ? 60 + ((i * 53) % 240) : 50 + ((i * 41) % 220);
                int delay = champion ? 30 + (i * i * 7) : 60 + (i * 97);
                bool covered = champion || i % 7 != 3;
                var at = Start.AddMinutes(i);
                yield return string.Create(c, $$"""{"type":"scored","id":"{{arm}}-{{i}}","ts":"{{at:yyyy-MM-ddTHH:mm:ssZ}}","experiment":"quality","arm":"{{arm}}","unit":"u-{{arm}}-{{i}}","model":"{{arm}}@1","intent":"{{predicted}}","confidence":{{confidence:R}},"phase":"ab"}""");
                if (covered)
                {
                    yield return string.Create(c, $$"""{"type":"outcome","id":"{{arm}}-{{i}}","ts":"{{at.AddSeconds(delay):yyyy-MM-ddTHH:mm:ssZ}}","trueIntent":"{{truth}}","handlingSeconds":{{seconds}}}""");
                }
            }
        }
    }

    private async Task<AnalysisResult> AnalyzeAsync(IEnumerable<string> lines, AnalysisRequest? request = null)
    {
        string path = _dir.Combine($"log-{Guid.NewGuid():N}.jsonl");
        await File.WriteAllLinesAsync(path, lines, new UTF8Encoding(false));
        return await ExperimentAnalysis.RunAsync((request ?? new AnalysisRequest { Events = [] }) with { Events = [path] });
    }

    [Fact]
    public async Task Coverage_PerArm_MatchesScipyChiSquare()
    {
        var r = await AnalyzeAsync(QualityLog());
        var coverage = r.Metrics.Single(m => m.Metric == "accuracy").Coverage!;
        Assert.Equal([("challenger", 60L, 51L), ("champion", 60L, 60L)], coverage.Arms.Select(a => (a.Name, a.Exposures, a.Covered)));
        Assert.Equal(51 / 60.0, coverage.Arms[0].Share!.Value, 12);
        // scipy.stats.chi2_contingency([[60, 0], [51, 9]], correction=False)[:3] -> (9.72972972972973, 0.0018131114678411277, 1)
        Assert.Equal(9.72972972972973, coverage.ChiSquare!.Value, 1e-9);
        Assert.Equal(0.0018131114678411277, coverage.PValue!.Value, 1e-12);
        Assert.Equal(1, coverage.Df);
        Assert.False(coverage.Mismatch);
        Assert.True(coverage.Warning);
        Assert.Contains(r.Warnings, w => w.Code == "outcome-coverage-warning" && w.Message.Contains("challenger", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OutcomeDelays_PerArm_AreTheQuantilesToWithinOnePercent()
    {
        var r = await AnalyzeAsync(QualityLog());
        var delays = r.OutcomeDelays.ToDictionary(d => d.Name);
        // numpy.quantile(d, [0.5, 0.95], method="inverted_cdf") over each arm's delays -> champion 5917 21982, challenger 2873 5492
        Assert.Equal(60, delays["champion"].Outcomes);
        Assert.Equal(51, delays["challenger"].Outcomes);
        Assert.Equal(5917, delays["champion"].P50Seconds!.Value, 5917 * 0.01);
        Assert.Equal(21982, delays["champion"].P95Seconds!.Value, 21982 * 0.01);
        Assert.Equal(2873, delays["challenger"].P50Seconds!.Value, 2873 * 0.01);
        Assert.Equal(5492, delays["challenger"].P95Seconds!.Value, 5492 * 0.01);
    }

    [Fact]
    public async Task Classification_PerIntentRecallPrecisionMacroF1AndConfusion_MatchScikitLearnAndStatsmodels()
    {
        var r = await AnalyzeAsync(QualityLog());
        var arm = r.Classification!.Arms.Single(a => a.Name == "challenger");
        var labels = r.Classification.Labels.ToList();
        Assert.Equal(Intents.Order(), labels.Order());
        // sklearn.metrics.confusion_matrix(y_true, y_pred, labels=["positive", "objection", "unsubscribe"]) -> [[13, 4, 0], [0, 13, 5], [4, 0, 12]]
        long[][] expected = [[13, 4, 0], [0, 13, 5], [4, 0, 12]];
        for (int t = 0; t < 3; t++)
        {
            for (int p = 0; p < 3; p++)
            {
                Assert.Equal(expected[t][p], arm.Confusion[labels.IndexOf(Intents[t])][labels.IndexOf(Intents[p])]);
            }
        }
        // sklearn.metrics.f1_score(y_true, y_pred, average="macro") -> 0.744945250827604
        Assert.Equal(0.744945250827604, arm.MacroF1.Value!.Value, 1e-12);
        Assert.InRange(0.744945250827604, arm.MacroF1.CiLow!.Value, arm.MacroF1.CiHigh!.Value);
        var objection = arm.Intents.Single(i => i.Intent == "objection");
        // precision_recall_fscore_support(..., labels=...) -> objection precision 0.7647058823529411, recall 0.7222222222222222, f1 0.7428571428571428
        Assert.Equal(0.7647058823529411, objection.Precision.Value!.Value, 1e-12);
        Assert.Equal(0.7222222222222222, objection.Recall.Value!.Value, 1e-12);
        Assert.Equal(0.7428571428571428, objection.F1, 1e-12);
        Assert.Equal(18, objection.Support);
        Assert.Equal(17, objection.Predicted);
        // statsmodels proportion_confint(13, 18, alpha=0.05, method="wilson") -> (0.49127343439702553, 0.8750024662044602)
        Assert.Equal(0.49127343439702553, objection.Recall.CiLow!.Value, 1e-9);
        Assert.Equal(0.8750024662044602, objection.Recall.CiHigh!.Value, 1e-9);
        // proportion_confint(12, 17, alpha=0.05, method="wilson") (unsubscribe precision) -> (0.4686688993346016, 0.8672001038970478)
        var unsubscribe = arm.Intents.Single(i => i.Intent == "unsubscribe");
        Assert.Equal(0.4686688993346016, unsubscribe.Precision.CiLow!.Value, 1e-9);
        Assert.Equal(0.8672001038970478, unsubscribe.Precision.CiHigh!.Value, 1e-9);
    }

    [Fact]
    public async Task Calibration_BrierAndEce_MatchNumpyAndScipy()
    {
        var r = await AnalyzeAsync(QualityLog());
        var champion = r.Classification!.Arms.Single(a => a.Name == "champion").Calibration;
        var challenger = r.Classification.Arms.Single(a => a.Name == "challenger").Calibration;
        // b = (conf - correct)**2; b.mean(); scipy.stats.t.interval(0.95, len(b) - 1, loc=b.mean(), scale=scipy.stats.sem(b))
        //   champion 0.206016666666667 (0.15852413491600553, 0.2535091984173278); challenger 0.179656862745098 (0.14878607410095113, 0.210527651389245)
        Assert.Equal(0.206016666666667, champion.Brier.Value!.Value, 1e-10);
        Assert.Equal(0.15852413491600553, champion.Brier.CiLow!.Value, 1e-10);
        Assert.Equal(0.2535091984173278, champion.Brier.CiHigh!.Value, 1e-10);
        Assert.Equal(0.179656862745098, challenger.Brier.Value!.Value, 1e-10);
        Assert.Equal(0.14878607410095113, challenger.Brier.CiLow!.Value, 1e-10);
        Assert.Equal(0.210527651389245, challenger.Brier.CiHigh!.Value, 1e-10);
        // ten bins np.minimum((conf * 10).astype(int), 9); sum(n_b / n * |acc_b - conf_b|) -> champion 0.19, challenger 0.202941176470588
        Assert.Equal(0.19, champion.Ece.Value!.Value, 1e-10);
        Assert.Equal(0.202941176470588, challenger.Ece.Value!.Value, 1e-10);
        Assert.True(challenger.Ece.CiLow < challenger.Ece.Value && challenger.Ece.Value < challenger.Ece.CiHigh, $"{challenger.Ece}");
        Assert.Equal(51, challenger.N);
        Assert.Equal(10, challenger.Bins.Count);
        Assert.Equal(51, challenger.Bins.Sum(b => b.N));
    }

    [Fact]
    public async Task Bootstrap_IsSeeded_SameSeedSameIntervals_OtherSeedOthers()
    {
        var a = await AnalyzeAsync(QualityLog());
        var b = await AnalyzeAsync(QualityLog());
        var c = await AnalyzeAsync(QualityLog(), new AnalysisRequest { Events = [], Seed = 5 });
        var f1 = (AnalysisResult x) => x.Classification!.Arms[0].MacroF1;
        Assert.Equal(f1(a), f1(b));
        Assert.NotEqual(f1(a), f1(c));
    }

    [Fact]
    public async Task Impact_RepMinutesAndAccuracyPoints_MatchScipyWelchAndStatsmodels()
    {
        var r = await AnalyzeAsync(QualityLog());
        var impact = r.Impact.Single();
        Assert.Equal("challenger", impact.Arm);
        // Welch: vt = st.var(ddof=1)/len(st); vc = ...; df = (vt+vc)**2/(vt**2/(nt-1)+vc**2/(nc-1)); half = scipy.stats.t.ppf(0.975, df)*sqrt(vt+vc)
        //   diff -22.2254901960784, interval (-47.8080742788151, 3.35709388665821): minutes saved per 1000 = -diff*1000/60
        Assert.Equal(370.424836601307, impact.RepMinutesSavedPer1000Emails.Value!.Value, 1e-8);
        Assert.Equal(-55.9515647776368, impact.RepMinutesSavedPer1000Emails.CiLow!.Value, 1e-7);
        Assert.Equal(796.801237980251, impact.RepMinutesSavedPer1000Emails.CiHigh!.Value, 1e-7);
        // statsmodels confint_proportions_2indep(38, 51, 48, 60, method="wald", compare="diff") -> (-0.21158541596429692, 0.10178149439566941); diff -0.05490196078431375
        Assert.Equal(-5.490196078431375, impact.AccuracyPoints.Value!.Value, 1e-9);
        Assert.Equal(-21.158541596429692, impact.AccuracyPoints.CiLow!.Value, 1e-9);
        Assert.Equal(10.178149439566941, impact.AccuracyPoints.CiHigh!.Value, 1e-9);
    }

    [Fact]
    public async Task Warnings_WithoutPlannedUnits_SayPeekingIsNotProtected_AndWithAPlanDoNot()
    {
        var unplanned = await AnalyzeAsync(QualityLog());
        var planned = await AnalyzeAsync(QualityLog(), new AnalysisRequest { Events = [], PlannedUnits = 1000 });
        Assert.Contains(unplanned.Warnings, w => w.Code == "peeking-not-protected");
        Assert.DoesNotContain(planned.Warnings, w => w.Code == "peeking-not-protected");
    }

    [Fact]
    public async Task SelectiveOutcomes_ChallengerLosesHalfItsWrongOnes_IsACoverageMismatchWithNoWinner()
    {
        // Both arms are truly 80% accurate; a rep skips the outcome form for half of the challenger's wrong suggestions.
        var log = new SyntheticLog { UnitsPerArm = 4000, Seed = 21, Arms = [("champion", 0.8, 1), ("challenger", 0.8, 1)], OutcomeLoss = (arm, correct) => arm == "challenger" && !correct ? 0.5 : 0 };
        string path = log.WriteTo(_dir.Combine("biased.jsonl"));
        var r = await ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = [path] });

        var accuracy = r.Metrics.Single(m => m.Metric == "accuracy");
        Assert.True(accuracy.Comparisons[0].PValue < 0.001, "the biased log alone makes the challenger look better");
        Assert.True(accuracy.Coverage!.Mismatch);
        Assert.Equal("outcome-coverage-mismatch", r.Verdict.Status);
        Assert.Null(r.Verdict.Winner);
        Assert.Contains("challenger lacks them", r.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvenOutcomeLoss_BothArmsLoseThirtyPercent_StaysQuiet()
    {
        var log = new SyntheticLog { UnitsPerArm = 4000, Seed = 22, Arms = [("champion", 0.8, 1), ("challenger", 0.8, 1)], OutcomeLoss = (_, _) => 0.3 };
        string path = log.WriteTo(_dir.Combine("even.jsonl"));
        var r = await ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = [path], PlannedUnits = 8000 });

        var coverage = r.Metrics.Single(m => m.Metric == "accuracy").Coverage!;
        Assert.InRange(coverage.Arms[0].Share!.Value, 0.68, 0.72);
        Assert.False(coverage.Mismatch);
        Assert.False(coverage.Warning);
        Assert.NotEqual("outcome-coverage-mismatch", r.Verdict.Status);
        Assert.DoesNotContain(r.Warnings, w => w.Code == "outcome-coverage-warning");
    }

    [Fact]
    public async Task SelectiveOutcomesInAnAaPhase_KeepTheCheckFromPassing()
    {
        var log = new SyntheticLog { Phase = "aa", UnitsPerArm = 3000, Seed = 23, Arms = [("champion", 0.8, 1), ("challenger", 0.8, 1)], OutcomeLoss = (arm, correct) => arm == "challenger" && !correct ? 0.5 : 0 };
        string path = log.WriteTo(_dir.Combine("aa-biased.jsonl"));
        var r = await ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = [path] });
        Assert.Equal("outcome-coverage-mismatch", r.Verdict.Status);
    }
}
