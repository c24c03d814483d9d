using Verdict.Scoring;

namespace Verdict.Serving;

/// <summary>What the GPU service gave: a score, or the reason it gave none.</summary>
/// <param name="Score">The score, when the service answered.</param>
/// <param name="Failure">Why it did not (a timeout, an error status, an open circuit).</param>
public sealed record GpuScore(IntentScore? Score, string? Failure)
{
    /// <summary>A score.</summary>
    public static GpuScore Of(IntentScore score) => new(score, null);

    /// <summary>No score, and why.</summary>
    public static GpuScore Unavailable(string failure) => new(null, failure);
}
