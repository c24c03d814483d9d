using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Statistics;

namespace Verdict.Experimentation.Analysis;

/// <summary>
/// <c>verdict aa-replay</c>: splits the units of a real log into two fake arms again and again, each time with a fresh
/// coin per unit, and runs the analysis on each split exactly as <c>verdict analyze</c> would (the same join, the same
/// tests, the same A/A gate). No arm differs from the other, so every "significant" test is a false positive: their
/// share should be alpha, and the gate's at most alpha. When the log has an A/A phase, its real split is also placed
/// among the random ones: a real split more extreme than nearly all of them is flagged (a split bug).
/// </summary>
public static class AaReplay
{
    /// <summary>The fake arms' names.</summary>
    public const string ArmA = "replay-a", ArmB = "replay-b";

    /// <summary>Confidence of the false-positive rates' intervals, and of the check that they are consistent with alpha.</summary>
    public const double IntervalLevel = 0.99;

    /// <summary>Replays the log of <paramref name="request"/> <paramref name="splits"/> times.</summary>
    /// <param name="request">The log and the analysis settings (alpha, experiment, positive intents, fallbacks, window); its arms, weights and plan are not used.</param>
    /// <param name="splits">How many random splits.</param>
    /// <param name="seed">Seeds the splits: the same seed gives the same splits of the same log.</param>
    /// <param name="cancellationToken">Stops the replay between splits.</param>
    /// <exception cref="EventLogException">A path is missing, or the experiment is ambiguous or absent.</exception>
    public static async Task<AaReplayResult> RunAsync(AnalysisRequest request, int splits, ulong seed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfLessThan(splits, 1);
        var reader = await ExperimentAnalysis.ReadAsync(request, cancellationToken).ConfigureAwait(false);
        var phases = reader.PhasesOf();
        var phase = request.Phase ?? (phases.Contains(EventPhase.AA) ? EventPhase.AA : phases.Contains(EventPhase.AB) ? EventPhase.AB : EventPhase.Unspecified);
        var settings = request with { Control = ArmA, Weights = null, PlannedUnits = null, Guardrails = [], Phase = phase };

        var tally = new Dictionary<(string Metric, string Test), TestTally>();
        var srm = new TestTally("split", "srm", false);
        long gateFailures = 0;
        long units = 0, exposures = 0;
        for (int s = 0; s < splits; s++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ulong splitSeed = Mix(seed ^ Mix((ulong)s + 0x632BE59BD9B4E019UL));
            var obs = reader.Resplit(phase, ArmA, ArmB, unit => (Mix((ulong)unit ^ Mix((ulong)(unit >> 64) ^ splitSeed)) & 1) == 1);
            var result = ExperimentAnalyzer.Analyze(obs, settings);
            units = result.Arms.Sum(a => a.Units);
            exposures = result.Arms.Sum(a => a.Exposures);
            // Judged as an A/A check, whatever the phase the exposures came from: both arms hold the same mix of models.
            var verdict = Verdicts.Decide(result, EventPhase.AA, units);
            gateFailures += verdict.Status is "aa-failed" or "srm-mismatch" or "outcome-coverage-mismatch" ? 1 : 0;
            srm.Add(result.Srm.PValue, request.Alpha);
            foreach (var (metric, comparison, decisive) in Comparisons(result))
            {
                if (!tally.TryGetValue((metric, comparison.Test), out var t))
                {
                    tally[(metric, comparison.Test)] = t = new TestTally(metric, comparison.Test, decisive);
                }
                t.Add(comparison.PValue, request.Alpha);
            }
        }

        RealSplit? real = null;
        if (phase == EventPhase.AA)
        {
            var actual = ExperimentAnalyzer.Analyze(reader.Complete(EventPhase.AA), request with { Phase = EventPhase.AA, PlannedUnits = null, Guardrails = [] });
            real = Place(actual, tally, srm, request.Alpha, splits);
        }
        double z = Tails.NormalCritical(1 - IntervalLevel);
        var (gateLow, gateHigh) = TwoProportionZTest.Wilson(gateFailures, splits, z);
        return new AaReplayResult
        {
            Experiment = reader.ExperimentName,
            Phase = ExperimentAnalyzer.PhaseName(phase) ?? "unspecified",
            Splits = splits,
            Seed = seed,
            Alpha = request.Alpha,
            Units = units,
            Exposures = exposures,
            Gate = new FalsePositiveRate
            {
                Metric = "a/a gate", Test = "gate", Decisive = true, Splits = splits, FalsePositives = gateFailures, Rate = (double)gateFailures / splits,
                Low = gateLow, High = gateHigh,
                // The gate is built to fail at most alpha of the time; failing less is its design, not a fault.
                Status = gateLow > request.Alpha ? TooMany : Ok,
            },
            Tests = [srm.Rate(request.Alpha, z), .. tally.Values.OrderBy(t => t.Metric, StringComparer.Ordinal).ThenBy(t => t.Test, StringComparer.Ordinal).Select(t => t.Rate(request.Alpha, z))],
            RealSplit = real,
        };
    }

    /// <summary>A rate whose interval lies above alpha: the test rejects more often than it claims on this log.</summary>
    public const string TooMany = "too-many-false-positives";

    /// <summary>A rate whose interval lies below alpha: the test rejects less often than it could (it is conservative here).</summary>
    public const string Conservative = "conservative";

    /// <summary>A rate consistent with alpha.</summary>
    public const string Ok = "ok";

    private static IEnumerable<(string Metric, Comparison Comparison, bool Decisive)> Comparisons(AnalysisResult result)
    {
        foreach (var m in result.Metrics)
        {
            var decisive = Metrics.Get(m.Metric).DecisiveTests(result.UnitLevelMetrics);
            foreach (var c in m.Comparisons)
            {
                yield return (m.Metric, c, decisive.Contains(c.Test));
            }
        }
    }

    /// <summary>The real A/A split among the random ones: per test, the share of random splits at least as extreme (a permutation p-value), Holm-adjusted across the tests.</summary>
    private static RealSplit Place(AnalysisResult actual, Dictionary<(string Metric, string Test), TestTally> tally, TestTally srm, double alpha, int splits)
    {
        var placed = new List<(string Metric, string Test, double? PValue, double? Permutation)>
        {
            ("split", "srm", actual.Srm.PValue, srm.PermutationP(actual.Srm.PValue)),
        };
        foreach (var (metric, comparison, _) in Comparisons(actual))
        {
            if (tally.TryGetValue((metric, comparison.Test), out var t))
            {
                placed.Add((metric, comparison.Test, comparison.PValue, t.PermutationP(comparison.PValue)));
            }
        }
        var holm = PValueAdjustment.Holm([.. placed.Select(p => p.Permutation)]);
        var tests = placed.Select((p, i) => new PlacedTest(p.Metric, p.Test, p.PValue, p.Permutation, holm[i], holm[i] < alpha)).ToList();
        var flagged = tests.Where(t => t.Flagged).ToList();
        string summary = flagged.Count > 0
            ? $"The log's own A/A split looks unlike a random one: {string.Join("; ", flagged.Select(t => $"{t.Metric} ({t.Test}) p {F(t.PValue)} is more extreme than {F(1 - t.PermutationPValue!.Value + (1.0 / (splits + 1)), "P1")} of {splits:N0} random splits"))}. Look for a split bug: an assignment that depends on the unit, or exposures logged for some units only."
            : $"The log's own A/A split is like a random one: no test is more extreme than the random splits would explain (Holm across {tests.Count} tests at alpha {F(alpha)}).";
        return new RealSplit { Status = flagged.Count > 0 ? "suspect" : "consistent", Summary = summary, Tests = tests };
    }

    private static string F(double? v, string format = "G3") => v is double d ? d.ToString(format, CultureInfo.InvariantCulture) : "—";

    /// <summary>SplitMix64's finaliser: a bijection whose output bits each depend on every input bit.</summary>
    private static ulong Mix(ulong x)
    {
        x ^= x >> 30;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27;
        x *= 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    /// <summary>One test's p-values over the splits.</summary>
    private sealed class TestTally(string metric, string test, bool decisive)
    {
        private readonly List<double> _pValues = [];

        public string Metric { get; } = metric;

        public string Test { get; } = test;

        public long Rejections { get; private set; }

        public void Add(double? p, double alpha)
        {
            if (p is double value)
            {
                _pValues.Add(value);
                Rejections += value < alpha ? 1 : 0;
            }
        }

        /// <summary>(1 + splits at least as extreme) / (1 + splits).</summary>
        public double? PermutationP(double? p) => p is double value && _pValues.Count > 0 ? (1.0 + _pValues.Count(q => q <= value)) / (1.0 + _pValues.Count) : null;

        public FalsePositiveRate Rate(double alpha, double z)
        {
            var (low, high) = TwoProportionZTest.Wilson(Rejections, _pValues.Count, z);
            return new FalsePositiveRate
            {
                Metric = Metric, Test = Test, Decisive = decisive, Splits = _pValues.Count, FalsePositives = Rejections,
                Rate = _pValues.Count == 0 ? null : (double)Rejections / _pValues.Count,
                Low = _pValues.Count == 0 ? null : low,
                High = _pValues.Count == 0 ? null : high,
                Status = _pValues.Count == 0 ? "untested" : low > alpha ? TooMany : high < alpha ? Conservative : Ok,
            };
        }
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>The result as JSON.</summary>
    public static string ToJson(AaReplayResult result) => JsonSerializer.Serialize(result, Json);

    /// <summary>The result as Markdown: the gate, one row per test, and the real split.</summary>
    public static string ToMarkdown(AaReplayResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.Append(c, $"## A/A replay of {r.Experiment} ({r.Phase} exposures): {r.Splits:N0} random splits of {r.Units:N0} units\n\n");
        md.Append(c, $"A/A gate false failures: **{Pct(r.Gate.Rate)}** ({Pct(r.Gate.Low)} – {Pct(r.Gate.High)}, {IntervalLevel:P0} interval; by design at most {Pct(r.Alpha)}): {r.Gate.Status}.\n\n");
        md.Append("| metric | test | decisive | splits | false positives | rate | interval | status |\n|---|---|---|---:|---:|---:|---|---|\n");
        foreach (var t in r.Tests)
        {
            md.Append(c, $"| {t.Metric} | {t.Test} | {(t.Decisive ? "yes" : "no")} | {t.Splits:N0} | {t.FalsePositives:N0} | {Pct(t.Rate)} | {Pct(t.Low)} – {Pct(t.High)} | {t.Status} |\n");
        }
        md.Append(c, $"\nEach test should reject in {Pct(r.Alpha)} of the splits; `{TooMany}` means its {IntervalLevel:P0} interval lies above that on this log.\n");
        if (r.RealSplit is { } real)
        {
            md.Append(c, $"\n### The log's own split: {real.Status}\n\n{real.Summary}\n");
        }
        return md.ToString();
    }

    private static string Pct(double? v) => v is double d ? (d * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "—";
}

/// <summary>What an A/A replay found.</summary>
public sealed record AaReplayResult
{
    /// <summary>The experiment replayed.</summary>
    public required string Experiment { get; init; }

    /// <summary>The phase whose exposures were replayed: <c>aa</c> when the log has one, else the latest.</summary>
    public required string Phase { get; init; }

    /// <summary>Random splits made.</summary>
    public int Splits { get; init; }

    /// <summary>Their seed.</summary>
    public ulong Seed { get; init; }

    /// <summary>The significance level each test was read at.</summary>
    public double Alpha { get; init; }

    /// <summary>Units split.</summary>
    public long Units { get; init; }

    /// <summary>Their exposures.</summary>
    public long Exposures { get; init; }

    /// <summary>How often the A/A gate failed (<c>aa-failed</c>, <c>srm-mismatch</c> or <c>outcome-coverage-mismatch</c>).</summary>
    public required FalsePositiveRate Gate { get; init; }

    /// <summary>Every test's false-positive rate: the sample-ratio check first, then each metric's tests.</summary>
    public required IReadOnlyList<FalsePositiveRate> Tests { get; init; }

    /// <summary>The log's own A/A split among the random ones; null when the log has no A/A phase.</summary>
    public RealSplit? RealSplit { get; init; }
}

/// <summary>How often one test (or the gate) rejected on random splits of the same units.</summary>
public sealed record FalsePositiveRate
{
    /// <summary>The metric (<c>split</c> for the sample-ratio check).</summary>
    public required string Metric { get; init; }

    /// <summary>The test.</summary>
    public required string Test { get; init; }

    /// <summary>Whether the A/A gate and the A/B verdict decide on it.</summary>
    public bool Decisive { get; init; }

    /// <summary>Splits on which it could be computed.</summary>
    public long Splits { get; init; }

    /// <summary>Splits on which it rejected at alpha.</summary>
    public long FalsePositives { get; init; }

    /// <summary>Their share.</summary>
    public double? Rate { get; init; }

    /// <summary>Lower end of the share's Wilson interval (<see cref="AaReplay.IntervalLevel"/>).</summary>
    public double? Low { get; init; }

    /// <summary>Upper end.</summary>
    public double? High { get; init; }

    /// <summary><c>ok</c>, <c>too-many-false-positives</c>, <c>conservative</c>, or <c>untested</c>.</summary>
    public required string Status { get; init; }
}

/// <summary>The log's own A/A split placed among the random splits.</summary>
public sealed record RealSplit
{
    /// <summary><c>consistent</c>, or <c>suspect</c> when some test is more extreme than the random splits explain.</summary>
    public required string Status { get; init; }

    /// <summary>One sentence for a person.</summary>
    public required string Summary { get; init; }

    /// <summary>Each test on the real split.</summary>
    public required IReadOnlyList<PlacedTest> Tests { get; init; }
}

/// <summary>One test on the real split.</summary>
/// <param name="Metric">The metric.</param>
/// <param name="Test">The test.</param>
/// <param name="PValue">Its p-value on the real split.</param>
/// <param name="PermutationPValue">(1 + random splits with a p-value at most this one) / (1 + splits).</param>
/// <param name="PermutationPValueHolm">Holm-adjusted across the tests.</param>
/// <param name="Flagged">Whether the adjusted value is below alpha.</param>
public sealed record PlacedTest(string Metric, string Test, double? PValue, double? PermutationPValue, double? PermutationPValueHolm, bool Flagged);
