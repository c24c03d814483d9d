using System.Text;
using MathNet.Numerics.Distributions;
using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Events;
using Verdict.TestUtilities;
using Xunit.Abstractions;

namespace Verdict.Experimentation.Tests.Analysis;

/// <summary>
/// The A/A gate on many seeded A/A logs through the whole pipeline (reader, analyzer, verdict rules): a correct
/// setup must fail it at most alpha of the time. Every test of the gate tested alone at alpha fails about 10 %.
/// </summary>
public sealed class AaGateCalibrationTests(ITestOutputHelper output)
{
    private const int Logs = 1000;
    private const double Alpha = 0.05;

    private static AnalysisResult Analyze(SyntheticLog log)
    {
        var reader = new EventLogReader(null, null, strict: false);
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', log.Lines())));
        reader.Read(stream, "aa.jsonl");
        return ExperimentAnalysis.Analyze(reader, new AnalysisRequest { Events = [], Alpha = Alpha });
    }

    [Fact]
    public void AaGate_OverAThousandCorrectSetups_FailsAtMostAlphaOfTheTime()
    {
        int failed = 0, failedUncorrected = 0;
        for (int seed = 1; seed <= Logs; seed++)
        {
            var r = Analyze(new SyntheticLog { Phase = "aa", UnitsPerArm = 300, Seed = 10_000 + seed, Arms = [("champion", 0.8, 1), ("challenger", 0.8, 1)] });
            bool diagnostics = r.Srm.Mismatch || r.Verdict.Status == "outcome-coverage-mismatch";
            failed += r.Verdict.Status is "aa-passed" ? 0 : 1;
            failedUncorrected += diagnostics || r.Verdict.Gate!.Tests.Any(t => t.PValue < Alpha) ? 1 : 0;
        }
        // Clopper–Pearson 95 % interval, as R's binom.test(failed, Logs)$conf.int.
        double low = failed == 0 ? 0 : Beta.InvCDF(failed, Logs - failed + 1, 0.025);
        double high = Beta.InvCDF(failed + 1, Logs - failed, 0.975);
        output.WriteLine($"A/A gate false failures: {failed} of {Logs} = {(double)failed / Logs:P1} (95% CI {low:P1} to {high:P1}); each test at alpha alone: {failedUncorrected} = {(double)failedUncorrected / Logs:P1}");

        Assert.True((double)failed / Logs <= Alpha, $"{failed} false failures of {Logs} exceed alpha");
        Assert.True(failedUncorrected > failed, "the correction is what keeps the gate within alpha");
    }

    [Fact]
    public void AaGate_HolmAdjustsAcrossTheMetricTests_AtAlphaLessTheDiagnosticChecks()
    {
        var r = Analyze(new SyntheticLog { Phase = "aa", UnitsPerArm = 500, Seed = 3 });
        var gate = r.Verdict.Gate!;
        Assert.Equal(Alpha, gate.Alpha);
        // Three diagnostic checks (sample ratio, accuracy coverage, handling-time coverage) spend 0.001 each.
        Assert.Equal(0.047, gate.TestsAlpha, 1e-12);
        Assert.Equal(["accuracy two-proportion-z", "handlingSeconds welch-t-log"], gate.Tests.Select(t => $"{t.Metric} {t.Test}"));
        // R: p.adjust(c(p1, p2), method = "holm")
        double[] p = [gate.Tests[0].PValue!.Value, gate.Tests[1].PValue!.Value];
        double first = Math.Min(1, 2 * p.Min()), second = Math.Max(first, p.Max());
        Assert.Equal(p[0] <= p[1] ? [first, second] : [second, first], gate.Tests.Select(t => t.PValueHolm!.Value));
    }
}
