using Verdict.Scoring.Featurizers;
using Verdict.Scoring.Packages;
using Verdict.Training.Encoders;
using Verdict.Training.Models;

namespace Verdict.Training;

/// <summary>
/// How an architecture sees a text, as sparse features a linear or MLP model trains on: hashed n-grams (ids below
/// <c>buckets</c>), a pretrained encoder's sentence vector (one id per coordinate, after the n-grams, scaled by
/// <see cref="DenseScale"/>), or both. Sentence vectors are computed once per text and kept, so the learning curve
/// and distillation embed each text once however many models they train.
/// </summary>
internal sealed class FeatureSpace : IDisposable
{
    /// <summary>
    /// The sentence vector's scale against the unit-norm n-gram vector. Larger makes the same learning rate move the
    /// encoder's weights faster than the n-grams'; chosen on banking77's and parakweet's training splits (docs/models.md).
    /// </summary>
    public const float DefaultDenseScale = 1f;

    private readonly HashedNGramFeaturizer? _ngrams;
    private readonly SentenceEmbedder? _embedder;
    private readonly bool _ownsEmbedder;

    private FeatureSpace(ModelArchitecture architecture, HashedNGramSettings? ngrams, SentenceEmbedder? embedder, float denseScale, bool ownsEmbedder = true)
    {
        _ownsEmbedder = ownsEmbedder;
        Architecture = architecture;
        NGramSettings = ngrams;
        _ngrams = ngrams is null ? null : new HashedNGramFeaturizer(ngrams);
        _embedder = embedder;
        DenseScale = denseScale;
    }

    public ModelArchitecture Architecture { get; }

    public HashedNGramSettings? NGramSettings { get; }

    public PretrainedEncoder? Encoder => _embedder?.Encoder;

    public float DenseScale { get; }

    /// <summary>How many feature ids there are.</summary>
    public int Dimension => (NGramSettings?.Buckets ?? 0) + (Encoder?.Dimension ?? 0);

    /// <summary>
    /// The space <paramref name="options"/> asks for. A <paramref name="sharedEmbedder"/> for the same encoder is used (and
    /// left open) instead of a new one, so its vectors are computed once for every model that needs them.
    /// </summary>
    public static FeatureSpace Create(TrainingOptions options, SentenceEmbedder? sharedEmbedder = null)
    {
        var ngrams = HashedNGramSettings.Default with { Buckets = options.Buckets };
        switch (options.Architecture)
        {
            case ModelArchitecture.Linear or ModelArchitecture.Mlp:
                return new FeatureSpace(options.Architecture, ngrams, null, 0f);
            case ModelArchitecture.Encoder or ModelArchitecture.Hybrid:
                var encoder = PretrainedEncoder.Find(options.Encoder)
                    ?? throw new ArgumentException($"unknown encoder '{options.Encoder}'; known: {string.Join(", ", PretrainedEncoder.All.Select(e => e.Name))}.", nameof(options));
                var shared = sharedEmbedder is not null && sharedEmbedder.Encoder == encoder;
                return new FeatureSpace(options.Architecture, options.Architecture == ModelArchitecture.Hybrid ? ngrams : null,
                    shared ? sharedEmbedder : new SentenceEmbedder(encoder), options.DenseScale ?? DefaultDenseScale, ownsEmbedder: !shared);
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Architecture, "Unknown architecture.");
        }
    }

    /// <summary>Embeds every text not yet embedded, in one pass (batched by length).</summary>
    public void Prepare(IEnumerable<string> texts, Action<string> progress) => _embedder?.EmbedCached([.. texts], progress);

    public SparseFeatures Extract(string text)
    {
        SparseFeatures? ngrams = _ngrams?.Extract(text);
        if (_embedder is null)
        {
            return ngrams!.Value;
        }
        var vector = _embedder.EmbedCached([text])[0];
        var offset = NGramSettings?.Buckets ?? 0;
        var count = (ngrams?.Count ?? 0) + vector.Length;
        var ids = new int[count];
        var values = new float[count];
        if (ngrams is { } n)
        {
            n.Ids.CopyTo(ids, 0);
            n.Values.CopyTo(values, 0);
        }
        var start = ngrams?.Count ?? 0;
        for (var k = 0; k < vector.Length; k++)
        {
            ids[start + k] = offset + k;
            values[start + k] = DenseScale * vector[k];
        }
        return new SparseFeatures(ids, values);
    }

    /// <summary>The featurizer the package declares, so serving featurizes as training did.</summary>
    public FeaturizerSpec ToSpec()
    {
        if (Encoder is null)
        {
            return NGramSettings!.ToSpec();
        }
        var spec = new FeaturizerSpec { Type = FeaturizerSpec.WordPiece, Vocab = "vocab.txt", Lowercase = true, MaxLength = Encoder.MaxLength };
        return NGramSettings is null ? spec : NGramSettings.ToSpec() with
        {
            Type = FeaturizerSpec.Hybrid,
            Vocab = spec.Vocab,
            Lowercase = spec.Lowercase,
            MaxLength = spec.MaxLength,
        };
    }

    /// <summary>Files the package needs besides the graph and the manifest.</summary>
    public IReadOnlyDictionary<string, byte[]> Assets() =>
        _embedder is null ? new Dictionary<string, byte[]>() : new Dictionary<string, byte[]> { ["vocab.txt"] = _embedder.Vocabulary };

    /// <summary>The trained model as one ONNX graph: for an encoder, the encoder, its pooling and the head together.</summary>
    public byte[] ToOnnx(ITrainableModel model, string docString, bool int8 = false)
    {
        if (_embedder is null)
        {
            return model.ToOnnx(docString, int8);
        }
        var linear = (LinearModel)model;
        var classes = linear.Classes;
        var offset = NGramSettings?.Buckets ?? 0;
        var dense = linear.Weights.AsSpan(offset * classes, Encoder!.Dimension * classes).ToArray();
        for (var i = 0; i < dense.Length; i++)
        {
            dense[i] *= DenseScale;
        }
        var table = NGramSettings is null ? null : linear.Weights.AsSpan(0, offset * classes).ToArray();
        var onnx = EncoderGraph.Classifier(Encoder, _embedder.Model, dense, linear.Bias, classes, table, docString, int8NGrams: int8);
        return int8 ? Onnx.DynamicQuantizer.Quantize(onnx).Onnx : onnx;
    }

    public void Dispose()
    {
        if (_ownsEmbedder)
        {
            _embedder?.Dispose();
        }
    }
}
