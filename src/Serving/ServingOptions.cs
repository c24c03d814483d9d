using Verdict.Scoring;

namespace Verdict.Serving;

/// <summary>The limits and defaults of <see cref="EmailService"/>, whatever host carries its requests.</summary>
public sealed record ServingOptions
{
    /// <summary>Longest email (subject and body together) in characters.</summary>
    public int MaxEmailChars { get; init; } = 20_000;

    /// <summary>How many recent answers are remembered to make a repeated call idempotent (scoring and template assignment each).</summary>
    public int IdempotencyEntries { get; init; } = 200_000;

    /// <summary>
    /// The champion slot whose champion scores emails that name no experiment, model or slot, and replies; a
    /// promotion into it changes what that traffic gets within the slots' refresh interval.
    /// </summary>
    public string? DefaultSlot { get; init; }

    /// <summary>The model for emails that name no experiment, model or slot while the default slot has no champion yet (or there is none), and for replies then.</summary>
    public ModelReference? DefaultModel { get; init; }

    /// <summary>Slots whose traffic keeps the text of its emails for retraining (experiments opt in in their definition).</summary>
    public IReadOnlySet<string> KeepBodiesForSlots { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Whether models whose manifest says <c>target: gpu</c> are scored by the GPU service (one is configured).</summary>
    public bool GpuService { get; init; }
}
