using System.Globalization;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Statistics;

namespace Verdict.Experimentation.Analysis;

/// <summary>
/// The decision rules, written once (docs/analyze.md repeats them for readers):
/// <list type="number">
/// <item>no control or no units → <c>no-data</c>; a sample-ratio mismatch (p &lt; 0.001) → <c>srm-mismatch</c>, whatever else;
/// outcomes logged for a different share of emails in some arm (coverage p &lt; 0.001, model experiments) → <c>outcome-coverage-mismatch</c>.</item>
/// <item>A/A: the gate is every decisive test of every metric, Holm-adjusted as one family at alpha less 0.001 per diagnostic
/// check; a failing test → <c>aa-failed</c>; otherwise <c>aa-passed</c> once the planned sample is reached (or none is
/// planned) and every metric could be tested, else <c>aa-in-progress</c>.</item>
/// <item>A/B: a treatment significantly better on one primary metric, worse on none, with every declared guardrail met →
/// <c>ab-winner</c>; a guardrail breached → <c>ab-guardrail-breached</c> (the control stays); better but a guardrail not shown
/// yet → <c>ab-inconclusive</c>; the control wins when every treatment is significantly worse and none better; better on one
/// and worse on another → <c>ab-mixed</c>; nothing significant → <c>ab-no-difference</c> at the planned sample when every metric
/// could be tested, else <c>ab-inconclusive</c>.</item>
/// <item>Templates: on positive-intent reply rate, the best arm wins when the omnibus test is significant, it beats every
/// other arm after Holm's correction, its probability to be best is at least 0.95 and the planned sample is reached
/// → <c>template-winner</c>; otherwise <c>template-no-difference</c> at the planned sample with no significant omnibus test,
/// else <c>template-no-winner-yet</c>.</item>
/// </list>
/// "Significant" is the fixed-horizon p-value once the planned sample is reached, the always-valid p-value before.
/// </summary>
internal static class Verdicts
{
    public const double TemplateProbabilityBest = 0.95;

    public static Verdict Decide(AnalysisResult r, EventPhase phase, long totalUnits)
    {
        long? needed = r.PlannedUnits is long planned && totalUnits < planned ? planned - totalUnits : null;
        if (totalUnits == 0)
        {
            return new Verdict { Status = "no-data", Summary = "No exposures to analyse yet." };
        }
        if (r.Control is null)
        {
            return new Verdict { Status = "no-data", Summary = $"Only {string.Join(", ", r.Arms.Select(a => a.Name))} has exposures so far; the control arm has none yet, so there is nothing to compare." };
        }
        if (r.Arms.Count < 2)
        {
            return new Verdict { Status = "no-data", Summary = $"Only one arm ({r.Arms[0].Name}) has exposures; there is nothing to compare yet." };
        }
        if (r.Srm.Mismatch)
        {
            return new Verdict
            {
                Status = "srm-mismatch",
                Summary = $"Do not trust these results: the units per arm do not match the planned split (sample-ratio mismatch, p {P(r.Srm.PValue)}). Fix the assignment and restart the experiment.",
            };
        }
        string srmNote = r.Srm.Warning ? $" The split is slightly off plan (p {P(r.Srm.PValue)}); keep an eye on it." : "";
        if (r.Kind == "template")
        {
            return Template(r, needed, srmNote);
        }
        if (r.Metrics.FirstOrDefault(m => m.Coverage is { Mismatch: true } && Metrics.Get(m.Metric).Primary) is { } uncovered)
        {
            return CoverageMismatch(uncovered);
        }

        var decisive = r.Metrics.SelectMany(m => m.Comparisons.Where(c => Metrics.Get(m.Metric).DecisiveTests(r.UnitLevelMetrics).Contains(c.Test))).ToList();
        // A metric that could not be tested (an arm without outcomes, no variance) says nothing either way: it must not
        // let an A/A check pass or an A/B test end in "no difference".
        var untested = decisive.Where(c => c.Reason is not null).Select(c => Metrics.Get(MetricOf(r, c).Metric)).Distinct().ToList();
        string untestedNote = untested.Count == 0 ? ""
            : $" Not comparable yet: {string.Join(", ", untested.Select(m => m.Shape == MetricShape.Rate ? $"{m.Label} (every arm needs outcomes with {m.OutcomeField})" : $"{m.Label} (every arm needs outcomes with {m.OutcomeField} that vary)"))}.";
        bool nothingTested = decisive.Count > 0 && decisive.All(c => c.Reason is not null);
        if (phase == EventPhase.AA)
        {
            var gate = Gate(r, decisive);
            var differing = decisive.Where((c, i) => gate.Tests[i].Failed).ToList();
            if (differing.Count > 0)
            {
                return new Verdict
                {
                    Status = "aa-failed",
                    Gate = gate,
                    Summary = $"A/A check failed: arms serving the same model differ ({Describe(r, differing[0])}, Holm-adjusted across the check's {gate.Tests.Count} tests). Look for a biased assignment or logging before starting the A/B test.{srmNote}",
                };
            }
            string nothing = $"the split matches the plan (p {P(r.Srm.PValue)}) and {(nothingTested ? "no metric could be compared" : "no significant difference between the arms")} ({string.Join("; ", decisive.Select(c => Describe(r, c)))})";
            if (needed is long n)
            {
                return new Verdict { Status = "aa-in-progress", Gate = gate, Summary = $"A/A check so far: {nothing}.{untestedNote} {n.ToString("N0", CultureInfo.InvariantCulture)} more units are needed to reach the planned sample.{srmNote}", UnitsNeeded = n };
            }
            return untested.Count > 0
                ? new Verdict { Status = "aa-in-progress", Gate = gate, Summary = $"A/A check not passed yet: {nothing}.{untestedNote}{srmNote}" }
                : new Verdict { Status = "aa-passed", Gate = gate, Summary = $"A/A check passed: {nothing}. The A/B test can start.{srmNote}" };
        }

        var treatments = r.Arms.Select(a => a.Name).Where(a => a != r.Control).ToList();
        var outcomes = treatments.Select(t => (Arm: t, Better: decisive.Where(c => c.Treatment == t && c.Significant && Improves(r, c)).ToList(),
            Worse: decisive.Where(c => c.Treatment == t && c.Significant && !Improves(r, c)).ToList())).ToList();
        var candidates = outcomes.Where(o => o.Better.Count > 0 && o.Worse.Count == 0).ToList();
        // A candidate wins only with every guardrail shown to hold: non-inferiority, not "not significantly worse".
        var winners = candidates.Where(o => r.Guardrails.Where(g => g.Arm == o.Arm).All(g => g.Status == GuardrailCheck.Met)).ToList();
        if (winners.Count > 0)
        {
            var w = winners.OrderByDescending(o => o.Better.Count).ThenByDescending(o => AccuracyDiff(r, o.Arm)).First();
            return new Verdict
            {
                Status = "ab-winner",
                Winner = w.Arm,
                Summary = $"{w.Arm} beats {r.Control}: {string.Join("; ", w.Better.Select(c => Describe(r, c)))}.{GuardrailNote(r, w.Arm)} Promote {w.Arm}.{untestedNote}{srmNote}",
            };
        }
        var breached = r.Guardrails.Where(g => g.Status == GuardrailCheck.Breached).ToList();
        if (breached.Count > 0)
        {
            var g = breached[0];
            return new Verdict
            {
                Status = "ab-guardrail-breached",
                Winner = r.Control,
                Summary = $"{g.Arm} breaks the {Metrics.Get(g.Metric).Label} guardrail: {GuardrailText(g)}. Stop the test and roll {g.Arm} back.{srmNote}",
            };
        }
        if (candidates.Count > 0)
        {
            var c = candidates[0];
            var open = r.Guardrails.Where(g => g.Arm == c.Arm && g.Status != GuardrailCheck.Met).ToList();
            return new Verdict
            {
                Status = "ab-inconclusive",
                UnitsNeeded = needed,
                Summary = $"{c.Arm} is better ({string.Join("; ", c.Better.Select(x => Describe(r, x)))}), but its guardrails are not shown yet: {string.Join("; ", open.Select(GuardrailText))}. Keep the test running.{srmNote}",
            };
        }
        var mixed = outcomes.FirstOrDefault(o => o.Better.Count > 0 && o.Worse.Count > 0);
        if (mixed.Arm is not null)
        {
            return new Verdict
            {
                Status = "ab-mixed",
                Summary = $"{mixed.Arm} is better on one metric and worse on another ({string.Join("; ", mixed.Better.Concat(mixed.Worse).Select(c => Describe(r, c)))}). Decide which matters more before promoting.{srmNote}",
            };
        }
        if (outcomes.All(o => o.Worse.Count > 0))
        {
            return new Verdict
            {
                Status = "ab-winner",
                Winner = r.Control,
                Summary = $"{r.Control} stays champion: {string.Join("; ", outcomes.SelectMany(o => o.Worse).Select(c => Describe(r, c)))}. Roll the challenger back.{srmNote}",
            };
        }
        string detail = string.Join("; ", decisive.Select(c => Describe(r, c)));
        if (needed is long more)
        {
            return new Verdict
            {
                Status = "ab-inconclusive",
                UnitsNeeded = more,
                Summary = $"No significant difference yet ({detail}).{untestedNote} Keep the test running: {more.ToString("N0", CultureInfo.InvariantCulture)} more units are needed to reach the planned sample.{srmNote}",
            };
        }
        return untested.Count > 0
            ? new Verdict { Status = "ab-inconclusive", Summary = $"No significant difference among what could be tested ({detail}).{untestedNote}{srmNote}" }
            : new Verdict { Status = "ab-no-difference", Summary = $"No significant difference at this sample ({detail}). Keeping {r.Control} costs nothing; the challenger is not proven better.{srmNote}" };
    }

    /// <summary>Holm across every decisive test of the A/A check, at alpha less what the diagnostic checks spend.</summary>
    private static AaGate Gate(AnalysisResult r, IReadOnlyList<Comparison> decisive)
    {
        int diagnostics = 1 + r.Metrics.Count(m => m.Coverage is not null);
        double testsAlpha = Math.Max(r.Alpha / 2, r.Alpha - (diagnostics * SampleRatioTest.MismatchLevel));
        bool planReached = r.Sequential.DecisionsUse == "fixed-horizon";
        var p = decisive.Select(c => planReached ? c.PValue : c.PValueAlwaysValid).ToList();
        var holm = PValueAdjustment.Holm(p);
        var tests = decisive.Select((c, i) => new GateTest(MetricOf(r, c).Metric, c.Test, c.Treatment, p[i], holm[i], holm[i] < testsAlpha)).ToList();
        return new AaGate(r.Alpha, testsAlpha, tests);
    }

    private static Verdict CoverageMismatch(MetricResult metric)
    {
        var definition = Metrics.Get(metric.Metric);
        var arms = metric.Coverage!.Arms.Where(a => a.Share is not null).OrderBy(a => a.Share).ToList();
        var low = arms[0];
        var high = arms[^1];
        return new Verdict
        {
            Status = "outcome-coverage-mismatch",
            Summary = $"Do not trust {definition.Label}: {low.Name} has outcomes with {definition.OutcomeField} for {Pct(low.Share)} of its emails against {Pct(high.Share)} for {high.Name} (chi-square p {P(metric.Coverage.PValue)}). "
                + $"Outcomes are logged selectively ({low.Name} lacks them), which biases every outcome metric: a rep who skips the form when a suggestion was wrong makes that arm look better than it is. Fix the outcome logging before deciding.",
        };
    }

    private static string GuardrailNote(AnalysisResult r, string arm)
    {
        var held = r.Guardrails.Where(g => g.Arm == arm).ToList();
        return held.Count == 0 ? "" : $" Guardrails hold: {string.Join("; ", held.Select(GuardrailText))}.";
    }

    /// <summary>"accuracy may drop at most 1.0 pts; at worst −0.4 pts".</summary>
    private static string GuardrailText(GuardrailResult g)
    {
        var metric = Metrics.Get(g.Metric);
        bool rate = metric.Shape == MetricShape.Rate;
        string margin = rate ? $"may drop at most {(g.Margin * 100).ToString("0.0", CultureInfo.InvariantCulture)} pts" : $"may rise at most {(g.Margin * 100).ToString("0.0", CultureInfo.InvariantCulture)}%";
        string worst = g.WorstCase is double w ? (rate ? $"at worst {Pts(w)}" : $"at worst {SignedPct(w)}") : "not testable yet";
        string best = g.BestCase is double b ? (rate ? $", at best {Pts(b)}" : $", at best {SignedPct(b)}") : "";
        return $"{metric.Label} {margin}; {worst}{best} ({g.Interval} interval)";
    }

    private static Verdict Template(AnalysisResult r, long? needed, string srmNote)
    {
        var metric = r.Metrics.First(m => m.Metric == Metrics.PositiveReplyRate.Name);
        var best = metric.Arms.Where(a => a.Mean is not null).OrderByDescending(a => a.Mean).FirstOrDefault();
        if (best is null)
        {
            return new Verdict { Status = "no-data", Summary = "No assigned messages to analyse yet." };
        }
        bool beatsAll = metric.Comparisons.Where(c => c.Control == best.Name || c.Treatment == best.Name)
            .All(c => c.PValueHolm < r.Alpha || (metric.Comparisons.Count == 1 && c.Significant));
        bool omnibus = metric.Omnibus?.Significant == true;
        string rate = $"{best.Name} has the highest positive-intent reply rate ({Pct(best.Mean)}, probability to be best {Pct(best.ProbabilityBest)})";
        if (omnibus && beatsAll && best.ProbabilityBest >= TemplateProbabilityBest && needed is null)
        {
            return new Verdict { Status = "template-winner", Winner = best.Name, Summary = $"{rate} and beats every other template after Holm's correction. Use {best.Name}.{srmNote}" };
        }
        if (needed is null && !omnibus)
        {
            return new Verdict { Status = "template-no-difference", Summary = $"The templates' positive-intent reply rates do not differ significantly (omnibus p {P(metric.Omnibus?.PValue)}); {rate}, which is not enough to pick it.{srmNote}" };
        }
        string wait = needed is long n ? $" {n.ToString("N0", CultureInfo.InvariantCulture)} more units are needed to reach the planned sample." : "";
        return new Verdict { Status = "template-no-winner-yet", UnitsNeeded = needed, Summary = $"No winner yet: {rate}, short of the winner rule.{wait}{srmNote}" };
    }

    private static bool Improves(AnalysisResult r, Comparison c) => c.Diff is double d && Metrics.Get(MetricOf(r, c).Metric).Improves(d);

    private static double AccuracyDiff(AnalysisResult r, string arm) =>
        r.Metrics.Where(m => m.Metric == Metrics.Accuracy.Name).SelectMany(m => m.Comparisons).FirstOrDefault(c => c.Treatment == arm)?.Diff ?? 0;

    private static MetricResult MetricOf(AnalysisResult r, Comparison c) => r.Metrics.First(m => m.Comparisons.Contains(c));

    /// <summary>"accuracy 83.1% vs 81.0% (+2.1 pts, 95% CI +0.5 to +3.7, p = 0.013)".</summary>
    private static string Describe(AnalysisResult r, Comparison c)
    {
        var metric = MetricOf(r, c);
        string level = (1 - r.Alpha).ToString("P0", CultureInfo.InvariantCulture).Replace(" ", "", StringComparison.Ordinal);
        string p = $"p {P(c.Significant && c.PValueAlwaysValid is not null && r.Sequential.DecisionsUse == "always-valid" ? c.PValueAlwaysValid : c.PValueHolm ?? c.PValue)}";
        if (c.Reason is UninformativeReason reason)
        {
            return $"{metric.Metric}: not testable ({Kebab(reason)})";
        }
        if (metric.Better == "higher")
        {
            var ca = metric.Arms.First(a => a.Name == c.Control);
            var ta = metric.Arms.First(a => a.Name == c.Treatment);
            return $"{Label(metric.Metric)} {Pct(ta.Mean)} vs {Pct(ca.Mean)} ({Pts(c.Diff)}, {level} CI {Pts(c.CiLow, unit: false)} to {Pts(c.CiHigh)}, {p})";
        }
        return c.Test == WelchTTest.LogName
            ? $"handling time {SignedPct(c.RelLift)} (geometric mean, {level} CI {SignedPct(c.RelCiLow)} to {SignedPct(c.RelCiHigh)}, {p})"
            : $"handling time {SignedPct(c.RelLift)} ({c.Test}, {p})";
    }

    private static string Label(string metric) => Metrics.Get(metric).Label;

    internal static string P(double? p) => p switch
    {
        null => "not available",
        < 0.001 => "< 0.001",
        _ => "= " + p.Value.ToString(p.Value < 0.01 ? "0.000" : "0.00#", CultureInfo.InvariantCulture),
    };

    internal static string Pct(double? v) => v is double d ? (d * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "n/a";

    private static string SignedPct(double? v) => v is double d ? (d >= 0 ? "+" : "−") + Math.Abs(d * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "n/a";

    private static string Pts(double? v, bool unit = true) =>
        v is double d ? (d >= 0 ? "+" : "−") + Math.Abs(d * 100).ToString("0.0", CultureInfo.InvariantCulture) + (unit ? " pts" : "") : "n/a";

    internal static string Kebab(Enum value)
    {
        string name = value.ToString();
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                sb.Append('-');
            }
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }
}
