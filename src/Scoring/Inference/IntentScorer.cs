using Verdict.Scoring.Registry;

namespace Verdict.Scoring.Inference;

/// <summary>Scores with a leased model version, so a version being replaced finishes the calls it has.</summary>
internal sealed class IntentScorer(ModelRegistry registry, ScoringOptions options) : IIntentScorer
{
    public async ValueTask<IntentScore> ScoreAsync(ModelReference model, string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var loaded = await registry.AcquireAsync(model, cancellationToken).ConfigureAwait(false);
        try
        {
            return loaded.Score([text])[0];
        }
        finally
        {
            loaded.Release();
        }
    }

    public async ValueTask<IReadOnlyList<IntentScore>> ScoreBatchAsync(ModelReference model, IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count > options.MaxBatchSize)
        {
            throw new ScoringException(ScoringError.InvalidInput, $"A batch holds at most {options.MaxBatchSize} texts; this one has {texts.Count}.");
        }
        if (texts.Count == 0)
        {
            return [];
        }
        for (var i = 0; i < texts.Count; i++)
        {
            if (texts[i] is null)
            {
                throw new ScoringException(ScoringError.InvalidInput, $"Text {i} of the batch is null.");
            }
        }
        var loaded = await registry.AcquireAsync(model, cancellationToken).ConfigureAwait(false);
        try
        {
            return loaded.Score(texts);
        }
        finally
        {
            loaded.Release();
        }
    }
}
