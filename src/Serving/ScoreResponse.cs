namespace Verdict.Serving;

/// <summary>The answer to one scored email (Contract 4).</summary>
/// <param name="ScoringId">The id outcomes refer to.</param>
/// <param name="Intent">The most probable label.</param>
/// <param name="Confidence">Its probability.</param>
/// <param name="Probabilities">Every label's probability.</param>
/// <param name="Experiment">The experiment that assigned the model, if any.</param>
/// <param name="Arm">The arm the unit is in, if any.</param>
/// <param name="Model">The model that answered (<c>name@version</c>).</param>
/// <param name="LatencyMs">Time to assign and score, in milliseconds.</param>
public sealed record ScoreResponse(
    string ScoringId, string Intent, float Confidence, LabelProbabilities Probabilities,
    string? Experiment, string? Arm, string Model, double LatencyMs);
