using Microsoft.ML.OnnxRuntime;
using Verdict.Scoring.Featurizers;

namespace Verdict.Training.Encoders;

/// <summary>
/// Embeds texts with a pretrained encoder for training: the serving tokenizer, the encoder graph with its pooling,
/// texts run in batches of similar length (so padding costs little) on every core.
/// </summary>
internal sealed class SentenceEmbedder : IDisposable
{
    private readonly InferenceSession _session;
    private readonly WordPieceFeaturizer _featurizer;
    private readonly Dictionary<string, float[]> _cache = new(StringComparer.Ordinal);

    public SentenceEmbedder(PretrainedEncoder encoder, int threads = 0)
    {
        Encoder = encoder;
        var (model, vocabulary) = encoder.Load();
        Vocabulary = vocabulary;
        Model = model;
        using (var stream = new MemoryStream(vocabulary, writable: false))
        {
            _featurizer = new WordPieceFeaturizer(stream, lowercase: true, encoder.MaxLength, encoder.MaxLength * 32);
        }
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads > 0 ? threads : Environment.ProcessorCount,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(EncoderGraph.WithPooling(encoder, model), options);
    }

    public PretrainedEncoder Encoder { get; }

    /// <summary>The encoder's graph as restored (token states out).</summary>
    public byte[] Model { get; }

    public byte[] Vocabulary { get; }

    /// <summary>The token ids the encoder sees for <paramref name="text"/> ([CLS] and [SEP] included).</summary>
    public IReadOnlyList<int> Tokenize(string text) => _featurizer.Encode(text);

    /// <summary>The vector of each text, embedding (in one batched pass) only those not embedded before.</summary>
    public float[][] EmbedCached(IReadOnlyList<string> texts, Action<string>? progress = null)
    {
        var missing = texts.Where(t => !_cache.ContainsKey(t)).Distinct(StringComparer.Ordinal).ToArray();
        if (missing.Length > 0)
        {
            var vectors = Embed(missing, progress);
            for (var i = 0; i < missing.Length; i++)
            {
                _cache[missing[i]] = vectors[i];
            }
        }
        return [.. texts.Select(t => _cache[t])];
    }

    /// <summary>One L2-normalised vector per text, in the order given.</summary>
    public float[][] Embed(IReadOnlyList<string> texts, Action<string>? progress = null, int batchSize = 32)
    {
        var lengths = new int[texts.Count];
        for (var i = 0; i < texts.Count; i++)
        {
            lengths[i] = _featurizer.Encode(texts[i]).Count;
        }
        var order = Enumerable.Range(0, texts.Count).OrderBy(i => lengths[i]).ToArray();
        var result = new float[texts.Count][];
        var done = 0;
        var started = DateTime.UtcNow;
        foreach (var chunk in order.Chunk(batchSize))
        {
            using var batch = _featurizer.Featurize(chunk.Select(i => texts[i]).ToArray());
            var vectors = Run(batch);
            for (var r = 0; r < chunk.Length; r++)
            {
                result[chunk[r]] = vectors[(r * Encoder.Dimension)..((r + 1) * Encoder.Dimension)];
            }
            done += chunk.Length;
            if (progress is not null && (done % (batchSize * 64) < batchSize || done == texts.Count))
            {
                progress($"embedded {done}/{texts.Count} texts with {Encoder.Name} ({(DateTime.UtcNow - started).TotalSeconds:F0} s)");
            }
        }
        return result;
    }

    private float[] Run(FeatureBatch batch)
    {
        long[] shape = [batch.Rows, batch.Columns];
        var names = new List<string>();
        var values = new List<OrtValue>();
        try
        {
            foreach (var tensor in batch.Tensors)
            {
                var name = tensor.Role switch
                {
                    WordPieceFeaturizer.InputIdsRole => "input_ids",
                    WordPieceFeaturizer.AttentionMaskRole => "attention_mask",
                    _ => "token_type_ids",
                };
                names.Add(name);
                values.Add(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, tensor.Int64Data!.AsMemory(0, tensor.Length), shape));
            }
            using var runOptions = new RunOptions();
            using var outputs = _session.Run(runOptions, names, values, [EncoderGraph.EmbeddingOutput]);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            foreach (var value in values)
            {
                value.Dispose();
            }
        }
    }

    public void Dispose() => _session.Dispose();
}
