using Verdict.Experimentation.Statistics;

namespace Verdict.Experimentation.Analysis;

/// <summary>
/// Whether the arms got outcomes for the same share of their emails: Pearson's chi-square on arms × (covered, not
/// covered), as R's <c>chisq.test(correct = FALSE)</c>. Selective outcome logging biases every outcome metric,
/// so a mismatch (p &lt; 0.001) stops the verdict, like a sample-ratio mismatch.
/// </summary>
public sealed record OutcomeCoverage
{
    /// <summary>Per arm: exposures, those with the metric's outcome field, and the share.</summary>
    public required IReadOnlyList<CoverageArm> Arms { get; init; }

    /// <summary>Pearson's statistic.</summary>
    public double? ChiSquare { get; init; }

    /// <summary>Degrees of freedom (arms − 1).</summary>
    public int? Df { get; init; }

    /// <summary>Upper-tail p-value.</summary>
    public double? PValue { get; init; }

    /// <summary>p &lt; 0.001: the arms' outcomes are not logged alike.</summary>
    public bool Mismatch { get; init; }

    /// <summary>0.001 ≤ p &lt; 0.01: worth a look.</summary>
    public bool Warning { get; init; }

    /// <summary>Why the test could not be made (every arm fully covered or not at all: <c>zero-variance</c>).</summary>
    public UninformativeReason? Reason { get; init; }
}

/// <summary>One arm's outcome coverage for a metric.</summary>
/// <param name="Name">Arm.</param>
/// <param name="Exposures">Emails analysed.</param>
/// <param name="Covered">Emails whose outcome carries the metric's field.</param>
/// <param name="Share">Covered / exposures; null without exposures.</param>
public sealed record CoverageArm(string Name, long Exposures, long Covered, double? Share);

/// <summary>How long outcomes took to arrive in one arm, from exposure to outcome (to within 1 %: docs/analyze.md).</summary>
/// <param name="Name">Arm.</param>
/// <param name="Outcomes">Exposures with an outcome.</param>
/// <param name="P50Seconds">Median delay; null without outcomes.</param>
/// <param name="P95Seconds">95th percentile.</param>
public sealed record OutcomeDelay(string Name, long Outcomes, double? P50Seconds, double? P95Seconds);

/// <summary>An estimate with its interval; the interval is null only with a <see cref="Reason"/>.</summary>
/// <param name="Value">The estimate.</param>
/// <param name="CiLow">Lower end.</param>
/// <param name="CiHigh">Upper end.</param>
/// <param name="Reason">Why the estimate or its interval is missing.</param>
public sealed record Estimate(double? Value, double? CiLow, double? CiHigh, UninformativeReason? Reason = null);

/// <summary>The classifier's quality in one arm, from the labelled emails (docs/analyze.md: methods).</summary>
public sealed record ArmClassification
{
    /// <summary>Arm.</summary>
    public required string Name { get; init; }

    /// <summary>Labelled emails.</summary>
    public long Labelled { get; init; }

    /// <summary>Unweighted mean of the per-intent F1 over the intents true or predicted in the arm (as scikit-learn's <c>f1_score(average="macro")</c>), with a seeded Poisson-bootstrap interval.</summary>
    public required Estimate MacroF1 { get; init; }

    /// <summary>Per intent: recall and precision with Wilson intervals, and F1.</summary>
    public required IReadOnlyList<IntentQuality> Intents { get; init; }

    /// <summary>Labelled emails by true intent (rows) and predicted intent (columns), in the order of <see cref="ClassificationResult.Labels"/>.</summary>
    public required IReadOnlyList<IReadOnlyList<long>> Confusion { get; init; }

    /// <summary>How well the model's confidence matches its accuracy.</summary>
    public required Calibration Calibration { get; init; }
}

/// <summary>One intent in one arm.</summary>
/// <param name="Intent">The intent.</param>
/// <param name="Support">Labelled emails whose true intent it is.</param>
/// <param name="Predicted">Labelled emails predicted as it.</param>
/// <param name="Recall">Correct / support, Wilson interval.</param>
/// <param name="Precision">Correct / predicted, Wilson interval.</param>
/// <param name="F1">Harmonic mean of the two (0 when either is 0 or undefined).</param>
public sealed record IntentQuality(string Intent, long Support, long Predicted, Estimate Recall, Estimate Precision, double F1);

/// <summary>Calibration of <c>confidence</c> over labelled emails that carry one.</summary>
public sealed record Calibration
{
    /// <summary>Labelled emails with a confidence.</summary>
    public long N { get; init; }

    /// <summary>Expected calibration error over ten equal-width bins: Σ (n_b / n)·|accuracy_b − mean confidence_b|; seeded Poisson-bootstrap interval.</summary>
    public required Estimate Ece { get; init; }

    /// <summary>Top-label Brier score: the mean of (confidence − correct)², with a t interval.</summary>
    public required Estimate Brier { get; init; }

    /// <summary>The ten bins, lowest confidence first.</summary>
    public required IReadOnlyList<CalibrationBinResult> Bins { get; init; }
}

/// <summary>One confidence bin: [Low, High).</summary>
/// <param name="Low">Lower edge.</param>
/// <param name="High">Upper edge (the last bin includes 1).</param>
/// <param name="N">Emails in it.</param>
/// <param name="MeanConfidence">Their mean confidence; null when empty.</param>
/// <param name="Accuracy">Their accuracy; null when empty.</param>
public sealed record CalibrationBinResult(double Low, double High, long N, double? MeanConfidence, double? Accuracy);

/// <summary>Classifier-native quality per arm (model experiments).</summary>
/// <param name="Labels">The intents, in the order of every confusion matrix.</param>
/// <param name="Arms">Per arm.</param>
public sealed record ClassificationResult(IReadOnlyList<string> Labels, IReadOnlyList<ArmClassification> Arms);

/// <summary>A non-inferiority guardrail the experiment declares: the treatment may not be worse than the control by more than <paramref name="Margin"/>.</summary>
/// <param name="Metric">A metric of the experiment's kind (<see cref="Metrics"/>).</param>
/// <param name="Margin">In the metric's <see cref="MetricDefinition.MarginUnit"/>: 0.01 for accuracy is one point; 0.05 for handling time is 5 % longer.</param>
public sealed record Guardrail(string Metric, double Margin)
{
    /// <summary>What is wrong with the guardrail for an experiment of <paramref name="kind"/> ("guardrails: …"), or null.</summary>
    public string? Problem(Experiments.ExperimentKind kind) => GuardrailCheck.Problem([this], kind);
}

/// <summary>A guardrail checked for one treatment.</summary>
public sealed record GuardrailResult
{
    /// <summary>The metric.</summary>
    public required string Metric { get; init; }

    /// <summary>The treatment arm.</summary>
    public required string Arm { get; init; }

    /// <summary>The margin, as declared.</summary>
    public double Margin { get; init; }

    /// <summary>The interval's worse end, in the margin's unit (a rate difference, or a relative change of the geometric mean).</summary>
    public double? WorstCase { get; init; }

    /// <summary>The interval's better end.</summary>
    public double? BestCase { get; init; }

    /// <summary>The interval used: <c>fixed-horizon</c> once the planned sample is reached, <c>always-valid</c> before.</summary>
    public required string Interval { get; init; }

    /// <summary><c>met</c> (the worse end is within the margin), <c>breached</c> (even the better end is beyond it) or <c>not-shown</c>.</summary>
    public required string Status { get; init; }

    /// <summary>Why the guardrail could not be checked.</summary>
    public UninformativeReason? Reason { get; init; }
}

/// <summary>What switching to a treatment is worth, in the units a product manager plans with.</summary>
/// <param name="Arm">The treatment.</param>
/// <param name="AccuracyPoints">Accuracy change in percentage points (treatment − control), with its interval.</param>
/// <param name="RepMinutesSavedPer1000Emails">Rep minutes saved per 1,000 emails (control − treatment mean handling time × 1,000 / 60), with its interval.</param>
public sealed record Impact(string Arm, Estimate AccuracyPoints, Estimate RepMinutesSavedPer1000Emails);

/// <summary>Something the reader must know before acting on the numbers.</summary>
/// <param name="Code"><c>peeking-not-protected</c>, <c>outcome-coverage-warning</c>.</param>
/// <param name="Message">The sentence shown.</param>
public sealed record AnalysisWarning(string Code, string Message);

/// <summary>
/// The A/A gate: every decisive test of every metric in one family, Holm-adjusted, so that a correct setup fails
/// it at most alpha of the time. The sample-ratio and coverage checks spend 0.001 each of alpha; the metric tests
/// share the rest.
/// </summary>
/// <param name="Alpha">The gate's family-wise error rate.</param>
/// <param name="TestsAlpha">What the metric tests share: alpha less 0.001 per diagnostic check.</param>
/// <param name="Tests">Each test with the p-value used (fixed-horizon or always-valid) and its Holm adjustment.</param>
public sealed record AaGate(double Alpha, double TestsAlpha, IReadOnlyList<GateTest> Tests);

/// <summary>One test of the A/A gate.</summary>
/// <param name="Metric">Metric.</param>
/// <param name="Test">Test.</param>
/// <param name="Arm">The arm compared with the control.</param>
/// <param name="PValue">The p-value the gate used.</param>
/// <param name="PValueHolm">Holm-adjusted across the gate.</param>
/// <param name="Failed">Whether the adjusted p-value is below the tests' alpha.</param>
public sealed record GateTest(string Metric, string Test, string Arm, double? PValue, double? PValueHolm, bool Failed);
