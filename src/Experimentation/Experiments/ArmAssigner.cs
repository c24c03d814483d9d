using Microsoft.FeatureManagement;
using Microsoft.FeatureManagement.FeatureFilters;

namespace Verdict.Experimentation.Experiments;

/// <summary>Why a unit got its arm.</summary>
public enum AssignmentReason
{
    /// <summary>A/B: the unit's bucket fell in this arm's share; the arm serves what it names.</summary>
    Allocated,

    /// <summary>A/A: the unit's bucket fell in this arm's share; the arm serves the control.</summary>
    AllocatedAA,

    /// <summary>The experiment has not started: the control serves everyone.</summary>
    NotStarted,

    /// <summary>The experiment is decided or promoted: the winner (or the control) serves everyone.</summary>
    Decided,

    /// <summary>The experiment was rolled back: the control serves everyone.</summary>
    RolledBack,
}

/// <summary>The arm a unit gets in an experiment, what it serves and why.</summary>
/// <param name="Experiment">Experiment id.</param>
/// <param name="Arm">Arm name.</param>
/// <param name="Serves">The model reference or template id to use for this unit.</param>
/// <param name="Phase">The experiment's phase at assignment.</param>
/// <param name="Reason">Why.</param>
public sealed record ArmAssignment(string Experiment, string Arm, string Serves, ExperimentPhase Phase, AssignmentReason Reason)
{
    /// <summary>What the control arm serves: the fallback when what <see cref="Serves"/> names cannot be reached.</summary>
    public string? ControlServes { get; init; }

    /// <summary>Whether the experiment keeps the text of its emails for retraining (<see cref="ExperimentDefinition.KeepBodies"/>).</summary>
    public bool KeepBodies { get; init; }

    /// <summary>The models that also score the email, unserved (<see cref="ExperimentDefinition.ShadowModels"/>); logged only while the experiment runs.</summary>
    public IReadOnlyList<string> ShadowModels { get; init; } = [];
}

/// <summary>Assigns units to arms: sticky (the same unit always gets the same arm for a given seed and weights), across processes.</summary>
public interface IArmAssigner
{
    /// <summary>The unit's arm, or null when the experiment does not exist.</summary>
    ValueTask<ArmAssignment?> AssignAsync(string experiment, string unit, CancellationToken cancellationToken = default);
}

/// <summary>
/// Assigns arms through Microsoft.FeatureManagement variants: each experiment is a variant feature flag
/// whose percentile allocation follows the arms' weights and whose seed is the experiment's. A unit's
/// bucket is a hash of the unit and the seed, so it is the same in every process and after restarts; a
/// weight change moves only the units whose bucket changes hands; a new seed re-randomizes everyone.
/// </summary>
/// <remarks>
/// Definitions are read from the <see cref="ExperimentStore"/> and cached; after <see cref="ExperimentAssignerOptions.Refresh"/>
/// a cheap ETag check decides whether to read again. A phase or weight change therefore reaches every
/// instance within one refresh interval (default 30 s) and one storage round trip, without a redeploy. The
/// check runs in the background while assignments go on from the cache, so storage that is slow or down
/// never holds up or fails the assignment of an experiment already known.
/// </remarks>
public sealed class ArmAssigner : IArmAssigner
{
    private readonly ExperimentFeatureDefinitionProvider _definitions;
    private readonly FeatureManager _features;

    /// <summary>Creates an assigner over the store.</summary>
    public ArmAssigner(ExperimentStore store, ExperimentAssignerOptions? options = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        options ??= new ExperimentAssignerOptions();
        options.Validate();
        _definitions = new ExperimentFeatureDefinitionProvider(store, options.Refresh, time ?? TimeProvider.System);
        _features = new FeatureManager(_definitions, new FeatureManagementOptions { IgnoreMissingFeatures = true });
    }

    /// <summary>Completes when the background check of <paramref name="experiment"/>'s definition running now, if any, has (for tests).</summary>
    internal Task WhenCheckedAsync(string experiment) => _definitions.WhenCheckedAsync(experiment);

    /// <inheritdoc/>
    public async ValueTask<ArmAssignment?> AssignAsync(string experiment, string unit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(experiment);
        ArgumentException.ThrowIfNullOrEmpty(unit);
        var definition = await _definitions.GetExperimentAsync(experiment, cancellationToken).ConfigureAwait(false);
        if (definition is null)
        {
            return null;
        }
        var control = definition.Arms.First(a => a.Name == definition.ControlArm);
        ArmAssignment Assign(string arm, string serves, AssignmentReason reason) =>
            new(experiment, arm, serves, definition.Phase, reason) { ControlServes = control.Serves, KeepBodies = definition.KeepBodies, ShadowModels = definition.ShadowModels ?? [] };
        switch (definition.Phase)
        {
            case ExperimentPhase.Draft:
                return Assign(control.Name, control.Serves, AssignmentReason.NotStarted);
            case ExperimentPhase.Decided or ExperimentPhase.Promoted:
                var winner = definition.Arms.FirstOrDefault(a => a.Name == definition.Winner) ?? control;
                return Assign(winner.Name, winner.Serves, AssignmentReason.Decided);
            case ExperimentPhase.RolledBack:
                return Assign(control.Name, control.Serves, AssignmentReason.RolledBack);
        }

        var variant = await _features.GetVariantAsync(experiment, new TargetingContext { UserId = unit }, cancellationToken).ConfigureAwait(false);
        var arm = definition.Arms.FirstOrDefault(a => a.Name == variant?.Name) ?? control;
        return definition.Phase == ExperimentPhase.AA
            ? Assign(arm.Name, control.Serves, AssignmentReason.AllocatedAA)
            : Assign(arm.Name, arm.Serves, AssignmentReason.Allocated);
    }
}

/// <summary>Options of <see cref="ArmAssigner"/>.</summary>
public sealed class ExperimentAssignerOptions
{
    /// <summary>How long a cached definition is used before its ETag is checked again, in the background (default 30 s; 0 checks on every call, and the call waits for it).</summary>
    public TimeSpan Refresh { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws when an option is out of range.</summary>
    public void Validate()
    {
        if (Refresh < TimeSpan.Zero || Refresh > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(Refresh), Refresh, "Refresh must be between 0 and 1 hour.");
        }
    }
}
