using System.Runtime.InteropServices;
using MathNet.Numerics.Distributions;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Statistics;

namespace Verdict.Experimentation.Analysis;

/// <summary>Turns per-arm observations into tests, then a verdict.</summary>
internal static class ExperimentAnalyzer
{
    public static AnalysisResult Analyze(ExperimentObservations obs, AnalysisRequest request, ExperimentObservations? aaObservations = null)
    {
        double alpha = request.Alpha;
        var arms = obs.Arms;
        string? control = ChooseControl(arms, request.Control, request.Weights);
        long totalUnits = arms.Sum(a => a.Units);
        bool planReached = request.PlannedUnits is not long planned || totalUnits >= planned;
        double tuning = request.PlannedUnits ?? SequentialTest.DefaultTuningUnits;
        var context = new Context(alpha, control ?? "", planReached, tuning, obs.SeveralExposuresPerUnit, request.Seed);
        var kind = obs.IsTemplate ? Experiments.ExperimentKind.Template : Experiments.ExperimentKind.Model;

        var srm = SampleRatioTest.Compute(arms.ToDictionary(a => a.Name, a => a.Units, StringComparer.Ordinal), request.Weights);
        var metrics = new List<MetricResult>();
        if (control is not null)
        {
            foreach (var definition in Metrics.Of(kind))
            {
                var metric = definition.Shape == MetricShape.Rate
                    ? RateMetric(definition, arms, context, allPairs: obs.IsTemplate)
                    : HandlingMetric(definition, arms, context);
                metrics.Add(metric with { Coverage = Coverage(definition, arms) });
            }
        }

        var result = new AnalysisResult
        {
            Experiment = obs.Experiment,
            Kind = obs.IsTemplate ? "template" : "model",
            Phase = PhaseName(obs.Phase),
            Alpha = alpha,
            Control = control,
            AsOf = request.AsOf,
            FirstExposure = obs.FirstExposure,
            LastExposure = obs.LastExposure,
            PlannedUnits = request.PlannedUnits,
            UnitLevelMetrics = obs.SeveralExposuresPerUnit,
            Arms = [.. arms.Select(a => new ArmResult(a.Name, a.Exposures, a.Units, [.. a.Models]))],
            Srm = srm,
            Metrics = metrics,
            Sequential = new SequentialSettings("asymptotic-confidence-sequence (Gaussian mixture)", tuning, planReached ? "fixed-horizon" : "always-valid"),
            Verdict = new Verdict { Status = "no-data", Summary = "" },
            Log = obs.Diagnostics,
            Timeline = control is null ? [] : Timeline(obs, context),
            HandlingDistribution = obs.IsTemplate ? null : Distribution(arms),
            OutcomeDelays = obs.IsTemplate ? [] : [.. arms.Select(a => new OutcomeDelay(a.Name, a.OutcomeDelays.Count, a.OutcomeDelays.Quantile(0.5), a.OutcomeDelays.Quantile(0.95)))],
            Classification = obs.IsTemplate ? null : ClassifierQuality.Compute(obs, alpha, request.Seed),
            Guardrails = control is null ? [] : GuardrailCheck.Evaluate(request.Guardrails, metrics, kind, planReached),
            Impact = control is null || obs.IsTemplate ? [] : ImpactOf(metrics, control, obs.SeveralExposuresPerUnit),
            Warnings = Warnings(request, metrics),
            Paired = [.. obs.Paired.OrderBy(p => p.Key.Served, StringComparer.Ordinal).ThenBy(p => p.Key.Shadow, StringComparer.Ordinal)
                .Select(p => Paired(p.Key.Served, p.Key.Shadow, p.Value, alpha))],
        };
        result = result with { Verdict = Verdicts.Decide(result, obs.Phase, totalUnits) };
        if (aaObservations is not null)
        {
            var aaResult = Analyze(aaObservations, request with { Phase = EventPhase.AA, PlannedUnits = null }, null);
            result = result with { AaVerdict = aaResult.Verdict };
        }
        return result;
    }

    /// <summary>McNemar's test on the labelled emails, with the agreement and the shadow's latency over all of them.</summary>
    private static PairedComparison Paired(string served, string shadow, ShadowTally t, double alpha)
    {
        var (low, high) = TwoProportionZTest.Wilson(t.Agreed, t.Shadowed, Tails.NormalCritical(alpha));
        return McNemarTest.Compute(served, shadow, t.N, t.Both, t.ServedOnly, t.ShadowOnly, alpha) with
        {
            Shadowed = t.Shadowed,
            Agreement = t.Shadowed == 0 ? null : (double)t.Agreed / t.Shadowed,
            AgreementLow = t.Shadowed == 0 ? null : low,
            AgreementHigh = t.Shadowed == 0 ? null : high,
            ShadowLatencyP50Ms = t.LatencyMicroseconds.Quantile(0.5) / 1000,
            ShadowLatencyP95Ms = t.LatencyMicroseconds.Quantile(0.95) / 1000,
        };
    }

    /// <summary>Covered vs not covered across arms, for a metric read from an outcome field.</summary>
    private static OutcomeCoverage? Coverage(MetricDefinition metric, IReadOnlyList<ArmObservations> arms)
    {
        if (metric.Covered is not { } covered)
        {
            return null;
        }
        var counts = arms.Select(a => new ProportionSummary(a.Exposures, covered(a))).ToList();
        var test = ChiSquareIndependenceTest.Compute(counts, SampleRatioTest.MismatchLevel);
        return new OutcomeCoverage
        {
            Arms = [.. arms.Zip(counts, (a, c) => new CoverageArm(a.Name, c.Count, c.Successes, c.Rate))],
            ChiSquare = test.Statistic,
            Df = test.Df,
            PValue = test.PValue,
            Mismatch = test.PValue < SampleRatioTest.MismatchLevel,
            Warning = test.PValue is >= SampleRatioTest.MismatchLevel and < SampleRatioTest.WarningLevel,
            Reason = test.Reason,
        };
    }

    private static List<AnalysisWarning> Warnings(AnalysisRequest request, IReadOnlyList<MetricResult> metrics)
    {
        var warnings = new List<AnalysisWarning>();
        if (request.PlannedUnits is null)
        {
            warnings.Add(new AnalysisWarning("peeking-not-protected",
                "No planned sample was given, so every p-value is a fixed-horizon one: looking at the results repeatedly and stopping when one is significant inflates false positives. Give the planned units (--planned-units) to decide with always-valid p-values until the plan is reached."));
        }
        foreach (var m in metrics.Where(m => m.Coverage is { Warning: true }))
        {
            var low = m.Coverage!.Arms.OrderBy(a => a.Share ?? 1).First();
            warnings.Add(new AnalysisWarning("outcome-coverage-warning",
                $"Outcomes with {Metrics.Get(m.Metric).OutcomeField} are a little rarer in {low.Name} ({Verdicts.Pct(low.Share)} of its emails; p {Verdicts.P(m.Coverage.PValue)}): check that the CRM logs them alike for every arm."));
        }
        return warnings;
    }

    /// <summary>Accuracy points and rep minutes per 1,000 emails, treatment against the control, from the metrics' own tests.</summary>
    private static List<Impact> ImpactOf(IReadOnlyList<MetricResult> metrics, string control, bool unitLevel)
    {
        var accuracy = metrics.FirstOrDefault(m => m.Metric == Metrics.Accuracy.Name);
        var handling = metrics.FirstOrDefault(m => m.Metric == Metrics.HandlingSeconds.Name);
        string accuracyTest = Metrics.Accuracy.ImpactTest(unitLevel);
        string secondsTest = Metrics.HandlingSeconds.ImpactTest(unitLevel);
        var treatments = (accuracy ?? handling)?.Comparisons.Where(c => c.Control == control).Select(c => c.Treatment).Distinct() ?? [];
        return [.. treatments.Select(t => new Impact(
            t,
            Scaled(accuracy?.Comparisons.FirstOrDefault(c => c.Treatment == t && c.Test == accuracyTest), 100),
            Scaled(handling?.Comparisons.FirstOrDefault(c => c.Treatment == t && c.Test == secondsTest), -1000.0 / 60)))];
    }

    /// <summary>A comparison's difference and interval times <paramref name="factor"/> (a negative factor swaps the ends).</summary>
    private static Estimate Scaled(Comparison? c, double factor)
    {
        if (c is null)
        {
            return new Estimate(null, null, null, UninformativeReason.EmptyArm);
        }
        if (c.Diff is not double d || c.CiLow is not double low || c.CiHigh is not double high)
        {
            return new Estimate(c.Diff * factor, null, null, c.Reason ?? UninformativeReason.NotApplicable);
        }
        return factor >= 0 ? new Estimate(d * factor, low * factor, high * factor) : new Estimate(d * factor, high * factor, low * factor);
    }

    private static double? Clip(double? difference) => difference is double d ? Math.Clamp(d, -1, 1) : null;

    /// <summary>Cumulative email-level lift of each arm over the control, day by day.</summary>
    private static List<TimelineDay> Timeline(ExperimentObservations obs, Context ctx)
    {
        var days = new List<TimelineDay>();
        if (obs.FirstExposure is not { } first)
        {
            return days;
        }
        string metric = (obs.IsTemplate ? Metrics.PositiveReplyRate : Metrics.Accuracy).Name;
        var arms = obs.Arms;
        int count = arms.Max(a => a.Days.Count);
        var exposures = new long[arms.Count];
        var rates = new ProportionSummary[arms.Count];
        int control = arms.ToList().FindIndex(a => a.Name == ctx.Control);
        double crit = Tails.NormalCritical(ctx.Alpha);
        var day0 = DateOnly.FromDateTime(first.UtcDateTime);
        for (int d = 0; d < count; d++)
        {
            for (int a = 0; a < arms.Count; a++)
            {
                if (d < arms[a].Days.Count)
                {
                    var today = arms[a].Days[d];
                    exposures[a] += today.Exposures;
                    rates[a] += obs.IsTemplate ? today.PositiveReplies : today.Accuracy;
                }
            }
            var lift = new List<Comparison>();
            for (int a = 0; a < arms.Count; a++)
            {
                if (a != control)
                {
                    var cmp = TwoProportionZTest.Compute(ctx.Control, arms[a].Name, rates[control], rates[a], ctx.Alpha);
                    lift.Add(Sequential(cmp, crit, rates[control].Count + rates[a].Count, ctx with { PlanReached = false }));
                }
            }
            days.Add(new TimelineDay(day0.AddDays(d), metric,
                Enumerable.Range(0, arms.Count).ToDictionary(a => arms[a].Name, a => exposures[a], StringComparer.Ordinal), lift));
        }
        return days;
    }

    /// <summary>Handling times in 40 bins of equal width in log seconds, shared by all arms.</summary>
    private static HandlingDistribution? Distribution(IReadOnlyList<ArmObservations> arms)
    {
        const int Bins = 40;
        // Bounds in one pass over the values the arms already hold: no copy of millions of times.
        double min = double.MaxValue, max = 0;
        foreach (var arm in arms)
        {
            foreach (double v in arm.HandlingValues)
            {
                if (v > 0)
                {
                    min = Math.Min(min, v);
                    max = Math.Max(max, v);
                }
            }
        }
        if (max == 0)
        {
            return null;
        }
        double low = Math.Log10(min), high = Math.Log10(max);
        if (high - low < 1e-9)
        {
            (low, high) = (low - 0.5, high + 0.5);
        }
        double width = (high - low) / Bins;
        var edges = Enumerable.Range(0, Bins + 1).Select(i => Math.Pow(10, low + (i * width))).ToArray();
        var counts = new Dictionary<string, IReadOnlyList<long>>(StringComparer.Ordinal);
        foreach (var arm in arms)
        {
            var bins = new long[Bins];
            foreach (double v in arm.HandlingValues)
            {
                if (v > 0)
                {
                    bins[Math.Clamp((int)Math.Ceiling((Math.Log10(v) - low) / width) - 1, 0, Bins - 1)]++;
                }
            }
            counts[arm.Name] = bins;
        }
        return new HandlingDistribution(edges, counts);
    }

    private sealed record Context(double Alpha, string Control, bool PlanReached, double TuningUnits, bool UnitLevel, int Seed);

    internal static string? PhaseName(EventPhase phase) => phase switch
    {
        EventPhase.AA => "aa",
        EventPhase.AB => "ab",
        _ => null,
    };

    /// <summary>
    /// The control arm, or null when there is nothing to compare against: no arm in the log, or a requested control that
    /// the experiment declares (it has a weight) but that has no exposures yet.
    /// </summary>
    private static string? ChooseControl(IReadOnlyList<ArmObservations> arms, string? requested, IReadOnlyDictionary<string, double>? declared)
    {
        if (requested is not null)
        {
            return arms.Any(a => a.Name == requested) ? requested
                : declared?.ContainsKey(requested) == true ? null
                : throw new EventLogException($"--control {requested}: no such arm in the log (arms: {string.Join(", ", arms.Select(a => a.Name))})");
        }
        if (arms.Count == 0)
        {
            return null;
        }
        return arms.FirstOrDefault(a => a.Name == "champion")?.Name ?? arms.FirstOrDefault(a => a.Name == "control")?.Name ?? arms[0].Name;
    }

    private static MetricResult RateMetric(MetricDefinition definition, IReadOnlyList<ArmObservations> arms, Context ctx, bool allPairs)
    {
        var email = definition.Email!;
        var unit = definition.Unit;
        double crit = Tails.NormalCritical(ctx.Alpha);
        var armMetrics = new List<ArmMetric>();
        foreach (var arm in arms)
        {
            if (ctx.UnitLevel)
            {
                var r = unit(arm);
                double? v = DeltaMethodTest.RatioVariance(r);
                armMetrics.Add(new ArmMetric
                {
                    Name = arm.Name,
                    N = r.Units,
                    Mean = r.Ratio,
                    CiLow = v is double vl && r.Ratio is double m1 ? Math.Max(0, m1 - (crit * Math.Sqrt(vl))) : null,
                    CiHigh = v is double vh && r.Ratio is double m2 ? Math.Min(1, m2 + (crit * Math.Sqrt(vh))) : null,
                    Reason = r.Ratio is null ? UninformativeReason.EmptyArm : null,
                });
            }
            else
            {
                var p = email(arm);
                (double? low, double? high) = Wilson(p, crit);
                armMetrics.Add(new ArmMetric { Name = arm.Name, N = p.Count, Mean = p.Rate, CiLow = low, CiHigh = high, Reason = p.Count == 0 ? UninformativeReason.EmptyArm : null });
            }
        }

        var pairs = Pairs(arms, ctx.Control, allPairs);
        var comparisons = new List<Comparison>();
        foreach (var (c, t) in pairs)
        {
            Comparison cmp = ctx.UnitLevel
                ? DeltaMethodTest.Compute(c.Name, t.Name, unit(c), unit(t), ctx.Alpha)
                : TwoProportionZTest.Compute(c.Name, t.Name, email(c), email(t), ctx.Alpha);
            long n = ctx.UnitLevel ? unit(c).Units + unit(t).Units : email(c).Count + email(t).Count;
            // A difference of rates lies in [−1, 1]; the delta method's normal interval and the confidence sequence may
            // reach past it near rates of 0 or 1, and are cut there (after the sequence took its width from the interval).
            var seq = Sequential(cmp, crit, n, ctx);
            comparisons.Add(seq with { CiLow = Clip(seq.CiLow), CiHigh = Clip(seq.CiHigh), CsLow = Clip(seq.CsLow), CsHigh = Clip(seq.CsHigh) });
        }
        comparisons = Adjust(comparisons, ctx);

        OmnibusResult? omnibus = null;
        if (arms.Count > 2 || allPairs)
        {
            omnibus = ChiSquareIndependenceTest.Compute([.. arms.Select(email)], ctx.Alpha);
            var bayes = BetaPosterior.Compute([.. arms.Select(a => a.Name)], [.. arms.Select(email)], ctx.Seed);
            armMetrics = [.. armMetrics.Zip(bayes, (m, b) => m with { ProbabilityBest = b.ProbabilityBest, ExpectedLoss = b.ExpectedLoss })];
        }
        return new MetricResult
        {
            Metric = definition.Name,
            Level = ctx.UnitLevel ? "unit" : "email",
            Better = definition.Better,
            Arms = armMetrics,
            Comparisons = comparisons,
            Omnibus = omnibus,
        };
    }

    private static MetricResult HandlingMetric(MetricDefinition definition, IReadOnlyList<ArmObservations> arms, Context ctx)
    {
        var armMetrics = new List<ArmMetric>();
        // Sorted in place, one arm after the other through one scratch buffer of the largest arm's size.
        var scratch = LargeArrays.Allocate<double>(arms.Max(a => a.HandlingValues.Count), zeroed: false);
        foreach (var arm in arms)
        {
            RadixSort.SortNonNegative(CollectionsMarshal.AsSpan(arm.HandlingValues), scratch);
        }
        foreach (var arm in arms)
        {
            var values = CollectionsMarshal.AsSpan(arm.HandlingValues);
            var s = arm.Handling;
            double? low = null, high = null;
            if (s.Variance is double v)
            {
                double half = Tails.StudentTCritical(ctx.Alpha, s.Count - 1) * Math.Sqrt(v / s.Count);
                low = s.Mean - half;
                high = s.Mean + half;
            }
            armMetrics.Add(new ArmMetric
            {
                Name = arm.Name,
                N = s.Count,
                Mean = s.Count > 0 ? s.Mean : null,
                CiLow = low,
                CiHigh = high,
                Median = MannWhitneyTest.MedianOfSorted(values),
                Reason = s.Count == 0 ? UninformativeReason.EmptyArm : s.Count == 1 ? UninformativeReason.TooFewObservations : null,
            });
        }

        double z = Tails.NormalCritical(ctx.Alpha);
        var comparisons = new List<Comparison>();
        foreach (var (c, t) in Pairs(arms, ctx.Control, allPairs: false))
        {
            long n = ctx.UnitLevel ? c.HandlingByUnit.Units + t.HandlingByUnit.Units : c.Handling.Count + t.Handling.Count;
            if (ctx.UnitLevel)
            {
                comparisons.Add(Sequential(DeltaMethodTest.Compute(c.Name, t.Name, c.HandlingByUnit, t.HandlingByUnit, ctx.Alpha), z, n, ctx));
                var logC = MeanSummary.Of(c.HandlingValues.Select(v => Math.Log(1 + v)));
                var logT = MeanSummary.Of(t.HandlingValues.Select(v => Math.Log(1 + v)));
                comparisons.Add(Sequential(WelchTTest.Compute(c.Name, t.Name, logC, logT, ctx.Alpha, logScale: true), null, n, ctx));
            }
            else
            {
                comparisons.Add(Sequential(WelchTTest.Compute(c.Name, t.Name, c.Handling, t.Handling, ctx.Alpha), null, n, ctx));
                if (c.CupedHandling.Units + t.CupedHandling.Units > 0)
                {
                    // Only when outcomes carry a covariate: without the field nothing changes.
                    comparisons.Add(Sequential(CupedTest.Compute(c.Name, t.Name, c.CupedHandling, t.CupedHandling, ctx.Alpha), null, c.CupedHandling.Units + t.CupedHandling.Units, ctx));
                }
                comparisons.Add(Sequential(WelchTTest.Compute(c.Name, t.Name, c.HandlingLog, t.HandlingLog, ctx.Alpha, logScale: true), null, n, ctx));
            }
            // The rank test sorts its inputs in place; these are sorted already, so they stay as they are.
            var mw = MannWhitneyTest.Compute(c.Name, t.Name, CollectionsMarshal.AsSpan(c.HandlingValues), CollectionsMarshal.AsSpan(t.HandlingValues), ctx.Alpha);
            comparisons.Add(mw with { Significant = ctx.PlanReached && mw.Significant });
        }
        return new MetricResult
        {
            Metric = definition.Name,
            Level = ctx.UnitLevel ? "unit" : "email",
            Better = definition.Better,
            Arms = armMetrics,
            Comparisons = Adjust(comparisons, ctx),
        };
    }

    /// <summary>Adds the always-valid p-value and decides which p-value <c>Significant</c> reflects.</summary>
    private static Comparison Sequential(Comparison cmp, double? normalCritical, long units, Context ctx)
    {
        if (cmp.CiLow is not double low || cmp.CiHigh is not double high)
        {
            return cmp;
        }
        double crit = normalCritical ?? StudentT.InvCDF(0, 1, cmp.Df ?? 1e9, 1 - (ctx.Alpha / 2));
        double se = (high - low) / (2 * crit);
        var withSequential = SequentialTest.Apply(cmp, se, units, ctx.Alpha, ctx.TuningUnits);
        bool significant = ctx.PlanReached ? cmp.PValue < ctx.Alpha : withSequential.PValueAlwaysValid < ctx.Alpha;
        return withSequential with { Significant = significant };
    }

    /// <summary>
    /// Holm- and BH-adjusted p-values for every comparison, per test (a single comparison's are its own p-value);
    /// with more than one comparison per test, significance follows the Holm-adjusted p-value.
    /// </summary>
    private static List<Comparison> Adjust(List<Comparison> comparisons, Context ctx)
    {
        var adjusted = comparisons.ToList();
        foreach (var family in Enumerable.Range(0, comparisons.Count).GroupBy(i => comparisons[i].Test))
        {
            int[] members = [.. family];
            var p = members.Select(i => comparisons[i].PValue).ToList();
            var holm = PValueAdjustment.Holm(p);
            var bh = PValueAdjustment.BenjaminiHochberg(p);
            for (int k = 0; k < members.Length; k++)
            {
                var c = comparisons[members[k]];
                // Before the planned sample, always-valid p-values are corrected by Bonferroni.
                bool significant = ctx.PlanReached ? holm[k] < ctx.Alpha : c.Significant && c.PValueAlwaysValid * members.Length < ctx.Alpha;
                adjusted[members[k]] = c with { PValueHolm = holm[k], PValueBH = bh[k], Significant = significant };
            }
        }
        return adjusted;
    }

    private static List<(ArmObservations Control, ArmObservations Treatment)> Pairs(IReadOnlyList<ArmObservations> arms, string control, bool allPairs)
    {
        var result = new List<(ArmObservations, ArmObservations)>();
        if (allPairs)
        {
            for (int i = 0; i < arms.Count; i++)
            {
                for (int j = i + 1; j < arms.Count; j++)
                {
                    result.Add((arms[i], arms[j]));
                }
            }
            return result;
        }
        var c = arms.First(a => a.Name == control);
        result.AddRange(arms.Where(a => a.Name != control).Select(t => (c, t)));
        return result;
    }

    /// <summary>Wilson score interval for a rate: stays inside [0, 1] and behaves near 0 and 1.</summary>
    internal static (double? Low, double? High) Wilson(ProportionSummary p, double z)
    {
        if (p.Count == 0)
        {
            return (null, null);
        }
        var (low, high) = TwoProportionZTest.Wilson(p.Successes, p.Count, z);
        return (low, high);
    }
}
