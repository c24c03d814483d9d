using Verdict.Experimentation.Experiments;
using Verdict.Experimentation.Statistics;

namespace Verdict.Experimentation.Analysis;

/// <summary>
/// Non-inferiority: a guardrail is met when the interval's worse end lies within the margin, not when the
/// treatment is merely "not significantly worse" (which a small sample always is).
/// </summary>
/// <remarks>
/// Rates are checked on the decisive test's interval of the difference; handling time on the Welch interval of log
/// seconds, as a relative change of the geometric mean. Before the planned sample the always-valid bounds are used.
/// </remarks>
internal static class GuardrailCheck
{
    public const string Met = "met", Breached = "breached", NotShown = "not-shown";

    /// <summary>Checks that <paramref name="guardrails"/> name metrics of the kind and have a positive, finite margin; returns the first problem.</summary>
    public static string? Problem(IEnumerable<Guardrail> guardrails, ExperimentKind kind)
    {
        foreach (var g in guardrails)
        {
            if (kind == ExperimentKind.Template)
            {
                // Templates are ranked against each other, not against a control: there is no "worse than the control" to bound.
                return "guardrails: template experiments have none (templates are compared with each other, not with a control)";
            }
            if (Metrics.Find(g.Metric) is not { } metric || metric.Kind != kind)
            {
                return $"guardrails: '{g.Metric}' is not a metric of {kind.ToString().ToLowerInvariant()} experiments ({string.Join(", ", Metrics.Of(kind).Select(m => m.Name))})";
            }
            if (!(g.Margin > 0 && g.Margin < 1))
            {
                return $"guardrails: the margin of {g.Metric} must be in (0, 1), in {metric.MarginUnit}";
            }
        }
        return null;
    }

    public static List<GuardrailResult> Evaluate(IReadOnlyList<Guardrail> guardrails, IReadOnlyList<MetricResult> metrics, ExperimentKind kind, bool planReached)
    {
        var results = new List<GuardrailResult>();
        foreach (var g in guardrails)
        {
            var definition = Metrics.Find(g.Metric);
            var metric = metrics.FirstOrDefault(m => m.Metric == g.Metric);
            if (definition is null || definition.Kind != kind || metric is null)
            {
                continue;
            }
            string test = definition.GuardrailTest(metric.Level == "unit");
            foreach (var c in metric.Comparisons.Where(c => c.Test == test))
            {
                results.Add(Check(g, definition, c, planReached));
            }
        }
        return results;
    }

    private static GuardrailResult Check(Guardrail g, MetricDefinition metric, Comparison c, bool planReached)
    {
        var result = new GuardrailResult { Metric = g.Metric, Arm = c.Treatment, Margin = g.Margin, Interval = planReached ? "fixed-horizon" : "always-valid", Status = NotShown };
        var (low, high) = planReached ? (c.CiLow, c.CiHigh) : (c.CsLow, c.CsHigh);
        if (low is not double lo || high is not double hi)
        {
            return result with { Reason = c.Reason ?? UninformativeReason.NotApplicable };
        }
        if (metric.Shape == MetricShape.Duration)
        {
            // Welch on log seconds: the difference of mean logs is the log of the ratio of geometric means.
            (lo, hi) = (Math.Exp(lo) - 1, Math.Exp(hi) - 1);
        }
        // "Worse" in the metric's direction: lower for a rate, longer for a time.
        bool higherIsBetter = metric.Better == "higher";
        double worst = higherIsBetter ? lo : hi, best = higherIsBetter ? hi : lo;
        double limit = higherIsBetter ? -g.Margin : g.Margin;
        bool met = higherIsBetter ? worst > limit : worst < limit;
        bool breached = higherIsBetter ? best < limit : best > limit;
        return result with { WorstCase = worst, BestCase = best, Status = met ? Met : breached ? Breached : NotShown };
    }
}
