namespace Verdict.Scoring;

/// <summary>The intent a model predicts for one text.</summary>
/// <param name="Model">The model that scored it, always as <c>name@version</c>.</param>
/// <param name="Label">The most probable label (the first one on a tie).</param>
/// <param name="Confidence">The probability of <paramref name="Label"/>, in [0, 1].</param>
/// <param name="Labels">All labels, in the model's output order.</param>
/// <param name="Probabilities">The probability of each label, in the order of <paramref name="Labels"/>; sums to 1.</param>
public sealed record IntentScore(
    string Model,
    string Label,
    float Confidence,
    IReadOnlyList<string> Labels,
    IReadOnlyList<float> Probabilities);
