using Verdict.Experimentation.Events;
using Verdict.Experimentation.Statistics;

namespace Verdict.Experimentation.Analysis;

/// <summary>The result of <c>verdict analyze</c> (Contract 2); documented field by field in docs/analyze.md.</summary>
public sealed record AnalysisResult
{
    /// <summary>Experiment id.</summary>
    public required string Experiment { get; init; }

    /// <summary><c>model</c> or <c>template</c>.</summary>
    public required string Kind { get; init; }

    /// <summary><c>aa</c>, <c>ab</c>, or null when the log does not say.</summary>
    public string? Phase { get; init; }

    /// <summary>Significance level.</summary>
    public double Alpha { get; init; }

    /// <summary>The control arm.</summary>
    public string? Control { get; init; }

    /// <summary>Events after this instant were ignored.</summary>
    public DateTimeOffset? AsOf { get; init; }

    /// <summary>First and last exposure analysed.</summary>
    public DateTimeOffset? FirstExposure { get; init; }

    /// <summary>Last exposure analysed.</summary>
    public DateTimeOffset? LastExposure { get; init; }

    /// <summary>Planned total units, when given.</summary>
    public long? PlannedUnits { get; init; }

    /// <summary>Whether units have several exposures, so metrics are unit-level ratios (delta method).</summary>
    public bool UnitLevelMetrics { get; init; }

    /// <summary>Arms with exposures and units.</summary>
    public required IReadOnlyList<ArmResult> Arms { get; init; }

    /// <summary>Sample-ratio mismatch check.</summary>
    public required SampleRatioResult Srm { get; init; }

    /// <summary>Per-metric results.</summary>
    public required IReadOnlyList<MetricResult> Metrics { get; init; }

    /// <summary>How the always-valid results were computed.</summary>
    public required SequentialSettings Sequential { get; init; }

    /// <summary>The verdict.</summary>
    public required Verdict Verdict { get; init; }

    /// <summary>The A/A phase's verdict, when the log also holds A/A exposures and the A/B phase is analysed.</summary>
    public Verdict? AaVerdict { get; init; }

    /// <summary>What reading the log found.</summary>
    public required EventLogDiagnostics Log { get; init; }

    /// <summary>
    /// The primary rate metric (<c>accuracy</c>, or <c>positiveReplyRate</c> for templates) day by day,
    /// cumulative, at the email level: how a result settles. Empty without a control arm.
    /// </summary>
    public IReadOnlyList<TimelineDay> Timeline { get; init; } = [];

    /// <summary>Handling times per arm as a histogram on a log scale; null without handling times.</summary>
    public HandlingDistribution? HandlingDistribution { get; init; }

    /// <summary>Per arm, how long outcomes took to arrive after the exposure (model experiments).</summary>
    public IReadOnlyList<OutcomeDelay> OutcomeDelays { get; init; } = [];

    /// <summary>Per-intent recall and precision, macro-F1, the confusion matrix and calibration per arm; null for templates or without labelled emails.</summary>
    public ClassificationResult? Classification { get; init; }

    /// <summary>The declared non-inferiority guardrails, checked for every treatment.</summary>
    public IReadOnlyList<GuardrailResult> Guardrails { get; init; } = [];

    /// <summary>Per treatment, the change in accuracy points and rep minutes per 1,000 emails (model experiments).</summary>
    public IReadOnlyList<Impact> Impact { get; init; } = [];

    /// <summary>What the reader must know before acting: peeking without a planned sample, borderline outcome coverage.</summary>
    public IReadOnlyList<AnalysisWarning> Warnings { get; init; } = [];

    /// <summary>Each served model against each shadow model that scored the same labelled emails (McNemar); empty without shadow events.</summary>
    public IReadOnlyList<PairedComparison> Paired { get; init; } = [];

    /// <summary>The experiment's phase changes, oldest first, with who made each (a person or the autopilot) and why; empty when the analysis was run on a log alone.</summary>
    public IReadOnlyList<LifecycleStep> Lifecycle { get; init; } = [];
}

/// <summary>One phase change in an experiment's life.</summary>
/// <param name="At">When.</param>
/// <param name="From">The phase left (<c>draft</c>, <c>aa</c>, <c>ab</c>, <c>decided</c>, <c>promoted</c>).</param>
/// <param name="To">The phase reached.</param>
/// <param name="By"><c>autopilot</c>, or <c>person</c> (the CLI or another client).</param>
/// <param name="Reason">The recorded reason (a forced start, a decision's note, the autopilot's audit entry).</param>
/// <param name="Forced">Whether a guard was overridden.</param>
/// <param name="Status">The verdict the autopilot acted on, from its audit entry.</param>
public sealed record LifecycleStep(DateTimeOffset At, string From, string To, string By, string? Reason, bool Forced, string? Status);

/// <summary>The cumulative state of an experiment at the end of one UTC day of exposures.</summary>
/// <param name="Date">The day.</param>
/// <param name="Metric">The metric compared.</param>
/// <param name="Exposures">Exposures per arm up to and including the day.</param>
/// <param name="Lift">Each other arm against the control on everything up to the day: difference, fixed-horizon interval and confidence sequence.</param>
public sealed record TimelineDay(DateOnly Date, string Metric, IReadOnlyDictionary<string, long> Exposures, IReadOnlyList<Comparison> Lift);

/// <summary>Handling times per arm counted in bins of equal width in log seconds.</summary>
/// <param name="BinEdges">The edges in seconds, one more than the bins; the first bin includes its lower edge, every bin its upper one.</param>
/// <param name="Counts">Per arm, the count in each bin.</param>
public sealed record HandlingDistribution(IReadOnlyList<double> BinEdges, IReadOnlyDictionary<string, IReadOnlyList<long>> Counts);

/// <summary>One arm's exposure counts.</summary>
/// <param name="Name">Arm name.</param>
/// <param name="Exposures">Exposures counted (first per id).</param>
/// <param name="Units">Distinct randomization units.</param>
/// <param name="Models">Models the arm served (<c>name@version</c>).</param>
public sealed record ArmResult(string Name, long Exposures, long Units, IReadOnlyList<string> Models);

/// <summary>One metric: per-arm estimates and comparisons.</summary>
public sealed record MetricResult
{
    /// <summary><c>accuracy</c>, <c>handlingSeconds</c>, <c>replyRate</c> or <c>positiveReplyRate</c>.</summary>
    public required string Metric { get; init; }

    /// <summary><c>email</c> or <c>unit</c> (ratio metric per unit, delta method).</summary>
    public required string Level { get; init; }

    /// <summary>Which direction is better: <c>higher</c> or <c>lower</c>.</summary>
    public required string Better { get; init; }

    /// <summary>Per-arm estimates.</summary>
    public required IReadOnlyList<ArmMetric> Arms { get; init; }

    /// <summary>Comparisons against the control (or all pairs for templates).</summary>
    public required IReadOnlyList<Comparison> Comparisons { get; init; }

    /// <summary>Test that all arms share one rate (three or more arms).</summary>
    public OmnibusResult? Omnibus { get; init; }

    /// <summary>Whether the arms got outcomes carrying this metric's field equally often; null for metrics without an outcome field.</summary>
    public OutcomeCoverage? Coverage { get; init; }
}

/// <summary>One arm's estimate of a metric.</summary>
public sealed record ArmMetric
{
    /// <summary>Arm name.</summary>
    public required string Name { get; init; }

    /// <summary>Observations (labelled emails, timed emails, messages, or units at unit level).</summary>
    public long N { get; init; }

    /// <summary>Rate or mean; null without observations.</summary>
    public double? Mean { get; init; }

    /// <summary>Lower end of the interval (Wilson for rates, t for means, delta method for unit ratios).</summary>
    public double? CiLow { get; init; }

    /// <summary>Upper end of the interval.</summary>
    public double? CiHigh { get; init; }

    /// <summary>Median (handling time only).</summary>
    public double? Median { get; init; }

    /// <summary>Posterior probability that this arm is best (rates with three or more arms, and templates).</summary>
    public double? ProbabilityBest { get; init; }

    /// <summary>Posterior expected loss of choosing this arm, in rate units.</summary>
    public double? ExpectedLoss { get; init; }

    /// <summary>Why the estimate is null.</summary>
    public UninformativeReason? Reason { get; init; }
}

/// <summary>Settings of the always-valid inference.</summary>
/// <param name="Method">The method's name.</param>
/// <param name="TuningUnits">Total units at which the confidence sequence is tuned to be narrowest.</param>
/// <param name="DecisionsUse">Which p-values the verdict used: <c>fixed-horizon</c> or <c>always-valid</c>.</param>
public sealed record SequentialSettings(string Method, double TuningUnits, string DecisionsUse);

/// <summary>The verdict and its one-sentence summary.</summary>
public sealed record Verdict
{
    /// <summary>
    /// <c>aa-passed</c>, <c>aa-failed</c>, <c>aa-in-progress</c>, <c>ab-winner</c>, <c>ab-mixed</c>, <c>ab-no-difference</c>,
    /// <c>ab-inconclusive</c>, <c>template-winner</c>, <c>template-no-difference</c>, <c>template-no-winner-yet</c>,
    /// <c>srm-mismatch</c>, <c>outcome-coverage-mismatch</c>, <c>ab-guardrail-breached</c> or <c>no-data</c>.
    /// </summary>
    public required string Status { get; init; }

    /// <summary>Plain-English summary a product manager can act on.</summary>
    public required string Summary { get; init; }

    /// <summary>The winning arm, when there is one.</summary>
    public string? Winner { get; init; }

    /// <summary>Units still needed to reach the planned sample, when it is known and not reached.</summary>
    public long? UnitsNeeded { get; init; }

    /// <summary>The A/A gate's tests and their family-wise adjustment (A/A phase only).</summary>
    public AaGate? Gate { get; init; }
}
