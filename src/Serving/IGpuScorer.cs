using Verdict.Scoring;

namespace Verdict.Serving;

/// <summary>Scores with a heavy model on the GPU scoring service; the host supplies the client and its resilience.</summary>
public interface IGpuScorer
{
    /// <summary>The model's score, or why the service could not give it (the caller then falls back).</summary>
    Task<GpuScore> ScoreAsync(ModelReference model, string text, CancellationToken cancellationToken);
}
