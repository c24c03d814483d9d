namespace Verdict.Experimentation.Experiments;

/// <summary>What an experiment compares.</summary>
public enum ExperimentKind
{
    /// <summary>Intent models: arms serve <c>name@version</c> references; metrics accuracy and handling time.</summary>
    Model,

    /// <summary>Email templates: arms serve template ids; metric the positive-reply rate.</summary>
    Template,
}

/// <summary>Where an experiment is in its lifecycle. Each phase follows the one before it, except rollback.</summary>
public enum ExperimentPhase
{
    /// <summary>Defined, not serving.</summary>
    Draft,

    /// <summary>A/A: units are split by the planned weights, and every arm serves the control.</summary>
    AA,

    /// <summary>A/B: every arm serves what it names.</summary>
    AB,

    /// <summary>A winner (or none) is recorded; every unit gets the winner, or the control when there is none.</summary>
    Decided,

    /// <summary>The winner is the champion of the slot.</summary>
    Promoted,

    /// <summary>The slot's previous champion is restored.</summary>
    RolledBack,
}

/// <summary>One arm: its name, its share of units and what it serves.</summary>
/// <param name="Name">Arm name, unique in the experiment (e.g. <c>champion</c>, <c>challenger</c>).</param>
/// <param name="Weight">Share of units, in (0, 1]; the weights of an experiment sum to 1.</param>
/// <param name="Serves">A model reference <c>name@version</c>, or a template id.</param>
public sealed record ArmDefinition(string Name, double Weight, string Serves);

/// <summary>
/// The rules by which the autopilot advances an experiment, each off unless declared. Every action it takes is
/// written to the audit log with the analysis that justified it, and recorded in the history.
/// </summary>
public sealed record ExperimentAutomation
{
    /// <summary>aa → ab once the A/A check says <c>aa-passed</c>.</summary>
    public bool StartAb { get; init; }

    /// <summary>ab → decided with no winner (the control serves everyone) once a guardrail is shown broken (<c>ab-guardrail-breached</c>).</summary>
    public bool StopOnGuardrailBreach { get; init; }

    /// <summary>ab → decided → promoted once a treatment is the <c>ab-winner</c>: its model becomes the slot's champion.</summary>
    public bool PromoteWinner { get; init; }
}

/// <summary>A recorded phase change.</summary>
/// <param name="From">Phase before.</param>
/// <param name="To">Phase after.</param>
/// <param name="At">When.</param>
/// <param name="Reason">Why, when a guard was overridden (<c>--force</c>) or a decision recorded; otherwise null.</param>
/// <param name="Forced">Whether a guard was overridden.</param>
public sealed record PhaseChange(ExperimentPhase From, ExperimentPhase To, DateTimeOffset At, string? Reason, bool Forced);

/// <summary>
/// An experiment as stored in Blob (<c>experiments/{id}.json</c>): the arms and their weights, the phase,
/// the metrics and the planned sample, and the seed that makes assignment sticky.
/// </summary>
public sealed record ExperimentDefinition
{
    /// <summary>Lower-case letters, digits and '-', 3 to 63 characters.</summary>
    public required string Id { get; init; }

    /// <summary>Model or template experiment.</summary>
    public ExperimentKind Kind { get; init; } = ExperimentKind.Model;

    /// <summary>The arms; the first is the control unless <see cref="Control"/> names another.</summary>
    public required IReadOnlyList<ArmDefinition> Arms { get; init; }

    /// <summary>The control arm (the champion); null means the first arm.</summary>
    public string? Control { get; init; }

    /// <summary>What is randomized, e.g. <c>contact</c> or <c>email</c> (the CRM sends it as <c>unit</c>).</summary>
    public string RandomizationUnit { get; init; } = "contact";

    /// <summary>Current phase.</summary>
    public ExperimentPhase Phase { get; init; } = ExperimentPhase.Draft;

    /// <summary>Metrics the decision rests on (Contract 1 names).</summary>
    public IReadOnlyList<string> PrimaryMetrics { get; init; } = [];

    /// <summary>
    /// Non-inferiority guardrails (<c>[{"metric": "accuracy", "margin": 0.01}]</c>: accuracy may not drop by more than one
    /// point): a treatment wins only when every guardrail is shown to hold, and one shown broken stops the test.
    /// </summary>
    public IReadOnlyList<Analysis.Guardrail> Guardrails { get; init; } = [];

    /// <summary>
    /// Whether the text of the emails it scores is kept (in the <c>bodies</c> container, for the retention the deployment
    /// sets) so that <c>verdict models retrain</c> can learn from them with the true intents the outcomes give.
    /// </summary>
    public bool KeepBodies { get; init; }

    /// <summary>
    /// Models that also score every email the experiment serves, unserved, after the answer is sent (<c>name@version</c>):
    /// each prediction is logged as a <c>shadow</c> event for the paired analysis. A GPU-target model is scored on the
    /// GPU service. An email is not shadowed by the model that served it.
    /// </summary>
    public IReadOnlyList<string> ShadowModels { get; init; } = [];

    /// <summary>What the autopilot may do on its own (docs/experiments.md); null: nothing, every phase change is manual.</summary>
    public ExperimentAutomation? Automation { get; init; }

    /// <summary>Two-sided significance level.</summary>
    public double Alpha { get; init; } = 0.05;

    /// <summary>Power the plan targets.</summary>
    public double Power { get; init; } = 0.8;

    /// <summary>The control's expected rate on the first primary metric (accuracy or positive-reply rate).</summary>
    public double Baseline { get; init; }

    /// <summary>The smallest difference worth detecting on that rate, in rate points (0.02 = 2 points).</summary>
    public double MinimumDetectableEffect { get; init; }

    /// <summary>Units per arm the plan needs (computed from baseline, effect, alpha and power).</summary>
    public long PlannedUnitsPerArm { get; init; }

    /// <summary>Mixed into every unit's bucket: a new seed re-randomizes every unit.</summary>
    public required string Seed { get; init; }

    /// <summary>The champion slot a promotion updates (default: the experiment id).</summary>
    public string? Slot { get; init; }

    /// <summary>The winning arm recorded by <c>decide</c>; null before, or when there was no winner.</summary>
    public string? Winner { get; init; }

    /// <summary>When the A/A phase started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the experiment stopped serving differences (decided).</summary>
    public DateTimeOffset? StoppedAt { get; init; }

    /// <summary>Every phase change, oldest first.</summary>
    public IReadOnlyList<PhaseChange> History { get; init; } = [];

    /// <summary>The control arm's name.</summary>
    public string ControlArm => Control ?? (Arms.Count > 0 ? Arms[0].Name : "");

    /// <summary>The champion slot's name.</summary>
    public string SlotName => Slot ?? Id;
}
