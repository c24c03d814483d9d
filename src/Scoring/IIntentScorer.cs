namespace Verdict.Scoring;

/// <summary>Scores texts for intent with a model from the registry.</summary>
public interface IIntentScorer
{
    /// <summary>Scores one text.</summary>
    /// <exception cref="ScoringException">The model is unknown or its package is invalid.</exception>
    ValueTask<IntentScore> ScoreAsync(ModelReference model, string text, CancellationToken cancellationToken = default);

    /// <summary>Scores several texts in one ONNX Runtime call; results are in input order.</summary>
    /// <exception cref="ScoringException">The model is unknown, its package is invalid, or the batch is over <see cref="ScoringOptions.MaxBatchSize"/>.</exception>
    ValueTask<IReadOnlyList<IntentScore>> ScoreBatchAsync(ModelReference model, IReadOnlyList<string> texts, CancellationToken cancellationToken = default);
}
