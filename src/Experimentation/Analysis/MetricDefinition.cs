using Verdict.Experimentation.Events;
using Verdict.Experimentation.Experiments;
using Verdict.Experimentation.Statistics;

namespace Verdict.Experimentation.Analysis;

/// <summary>How a metric reads its per-unit data, which tests decide on it, which way is better, and how it is worded.</summary>
public enum MetricShape
{
    /// <summary>A share of emails (accuracy, reply rates): two-proportion z-test, or the delta method per unit.</summary>
    Rate,

    /// <summary>Seconds per email (handling time): Welch's t on seconds and on log seconds, Mann–Whitney; the delta method per unit.</summary>
    Duration,
}

/// <summary>
/// One metric, defined once: how it is read from the events, which tests apply, its direction and its words. The
/// analyzer, the verdict rules and every report format take a metric from here and from nowhere else.
/// </summary>
public sealed record MetricDefinition
{
    /// <summary>The Contract 2 name (<c>accuracy</c>).</summary>
    public required string Name { get; init; }

    /// <summary>How people read it in a sentence (<c>accuracy</c>, <c>handling time</c>).</summary>
    public required string Label { get; init; }

    /// <summary>The report's heading.</summary>
    public required string Title { get; init; }

    /// <summary>The experiments it belongs to.</summary>
    public required ExperimentKind Kind { get; init; }

    /// <summary>Its shape, which picks its tests.</summary>
    public required MetricShape Shape { get; init; }

    /// <summary><c>higher</c> or <c>lower</c>.</summary>
    public required string Better { get; init; }

    /// <summary>
    /// The outcome field an email needs to count (<c>trueIntent</c>, <c>handlingSeconds</c>); null when every exposure
    /// counts (a template without a reply is a message without one). Metrics with an outcome field get a coverage check.
    /// </summary>
    public string? OutcomeField { get; init; }

    /// <summary>Whether the verdict rests on it (false: reported only).</summary>
    public bool Primary { get; init; } = true;

    /// <summary>What a guardrail's margin is measured in (docs/analyze.md).</summary>
    public required string MarginUnit { get; init; }

    /// <summary>The email-level summary of an arm (rates only).</summary>
    internal Func<ArmObservations, ProportionSummary>? Email { get; init; }

    /// <summary>The per-unit ratio summary of an arm, used when units have several emails.</summary>
    internal Func<ArmObservations, RatioSummary> Unit { get; init; } = _ => default;

    /// <summary>Exposures of an arm that carry the outcome field (metrics with <see cref="OutcomeField"/>).</summary>
    internal Func<ArmObservations, long>? Covered { get; init; }

    /// <summary>The tests the verdict decides on, by the level the metric is read at.</summary>
    internal IReadOnlyList<string> DecisiveTests(bool unitLevel) => Shape switch
    {
        MetricShape.Rate => [unitLevel ? DeltaMethodTest.Name : TwoProportionZTest.Name],
        _ => unitLevel ? [DeltaMethodTest.Name, WelchTTest.LogName] : [WelchTTest.LogName],
    };

    /// <summary>
    /// The test whose interval a guardrail is checked on: a rate's decisive test, handling time's Welch on log seconds
    /// (a relative change, whatever the level).
    /// </summary>
    internal string GuardrailTest(bool unitLevel) => Shape == MetricShape.Rate ? DecisiveTests(unitLevel)[0] : WelchTTest.LogName;

    /// <summary>The test whose difference, in the metric's own unit, states the impact: a rate's decisive test, mean seconds for time.</summary>
    internal string ImpactTest(bool unitLevel) => Shape == MetricShape.Rate || unitLevel ? DecisiveTests(unitLevel)[0] : WelchTTest.RawName;

    /// <summary>Whether <paramref name="diff"/> (treatment − control) is an improvement.</summary>
    internal bool Improves(double diff) => Better == "higher" ? diff > 0 : diff < 0;
}

/// <summary>The metrics Verdict knows, in report order.</summary>
public static class Metrics
{
    /// <summary>Share of labelled emails whose predicted intent was the true one.</summary>
    public static readonly MetricDefinition Accuracy = new()
    {
        Name = "accuracy",
        Label = "accuracy",
        Title = "Accuracy (higher is better)",
        Kind = ExperimentKind.Model,
        Shape = MetricShape.Rate,
        Better = "higher",
        OutcomeField = "trueIntent",
        MarginUnit = "rate points as a fraction (0.01 = one point)",
        Email = a => a.Accuracy,
        Unit = a => a.AccuracyByUnit,
        Covered = a => a.Accuracy.Count,
    };

    /// <summary>Seconds a rep spent on an email.</summary>
    public static readonly MetricDefinition HandlingSeconds = new()
    {
        Name = "handlingSeconds",
        Label = "handling time",
        Title = "Handling time (lower is better)",
        Kind = ExperimentKind.Model,
        Shape = MetricShape.Duration,
        Better = "lower",
        OutcomeField = "handlingSeconds",
        MarginUnit = "relative change of the geometric mean (0.05 = 5 % longer)",
        Unit = a => a.HandlingByUnit,
        Covered = a => a.Handling.Count,
    };

    /// <summary>Share of messages that got a reply with a positive intent.</summary>
    public static readonly MetricDefinition PositiveReplyRate = new()
    {
        Name = "positiveReplyRate",
        Label = "positive-intent reply rate",
        Title = "Positive-intent reply rate (higher is better)",
        Kind = ExperimentKind.Template,
        Shape = MetricShape.Rate,
        Better = "higher",
        MarginUnit = "rate points as a fraction (0.01 = one point)",
        Email = a => a.PositiveReplies,
        Unit = a => a.PositiveRepliesByUnit,
    };

    /// <summary>Share of messages that got any reply.</summary>
    public static readonly MetricDefinition ReplyRate = new()
    {
        Name = "replyRate",
        Label = "reply rate",
        Title = "Reply rate, any intent",
        Kind = ExperimentKind.Template,
        Shape = MetricShape.Rate,
        Better = "higher",
        Primary = false,
        MarginUnit = "rate points as a fraction (0.01 = one point)",
        Email = a => a.Replies,
        Unit = a => a.RepliesByUnit,
    };

    /// <summary>Every metric, in report order.</summary>
    public static IReadOnlyList<MetricDefinition> All { get; } = [Accuracy, HandlingSeconds, PositiveReplyRate, ReplyRate];

    /// <summary>The metrics of one kind of experiment.</summary>
    public static IEnumerable<MetricDefinition> Of(ExperimentKind kind) => All.Where(m => m.Kind == kind);

    /// <summary>The metric of that name, or null.</summary>
    public static MetricDefinition? Find(string name) => All.FirstOrDefault(m => m.Name == name);

    /// <summary>The metric of that name, as an <see cref="AnalysisResult"/> names it.</summary>
    /// <exception cref="ArgumentException">No metric has that name.</exception>
    public static MetricDefinition Get(string name) => Find(name) ?? throw new ArgumentException($"unknown metric '{name}'", nameof(name));
}
