using System.Security.Cryptography;
using System.Text;
using Verdict.Scoring.Packages;
using Verdict.Training.Onnx;
using Verdict.Training.Onnx.Proto;

namespace Verdict.Training.Demo;

/// <summary>
/// Writes a transformer-shaped model package: a one-layer, single-head BERT-like encoder with random
/// weights and a small WordPiece vocabulary, taking <c>input_ids</c>, <c>attention_mask</c> and
/// <c>token_type_ids</c> and returning <c>logits</c> — the interface of a Hugging Face sequence
/// classifier exported to ONNX. It exercises the wordpiece path end to end; its predictions mean nothing.
/// </summary>
public static class TinyBertBuilder
{
    private static readonly string[] Special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
    private static readonly string[] Suffixes = ["##s", "##ed", "##ing", "##ly", "##er", "##ion", "##al", "##e", "##y", "##t", "##n", "##a", "##i", "##o"];

    /// <summary>
    /// Writes <c>vocab.txt</c>, <c>model.onnx</c> and <c>manifest.json</c> into <paramref name="outputDirectory"/>. With
    /// <paramref name="int32Inputs"/> the three inputs are int32, as some exporters write them; the weights are the same.
    /// </summary>
    public static ModelManifest Write(
        string outputDirectory, IReadOnlyList<string> labels, IEnumerable<string> corpus,
        string name = "tiny-bert", string version = "1", int hidden = 32, int maxLength = 64, int seed = 11, string target = "cpu",
        bool int32Inputs = false)
    {
        var vocab = BuildVocabulary(corpus);
        var onnx = BuildModel(vocab.Count, labels.Count, hidden, maxLength, seed, int32Inputs ? TensorProto.Types.DataType.Int32 : TensorProto.Types.DataType.Int64);
        Directory.CreateDirectory(outputDirectory);
        File.WriteAllText(Path.Combine(outputDirectory, "vocab.txt"), string.Join('\n', vocab) + "\n", new UTF8Encoding(false));
        File.WriteAllBytes(Path.Combine(outputDirectory, "model.onnx"), onnx);
        var manifest = new ModelManifest
        {
            Name = name,
            Version = version,
            Labels = [.. labels],
            Featurizer = new FeaturizerSpec { Type = FeaturizerSpec.WordPiece, Vocab = "vocab.txt", Lowercase = true, MaxLength = maxLength },
            Model = new OnnxSpec
            {
                Sha256 = Convert.ToHexStringLower(SHA256.HashData(onnx)),
                Inputs = new Dictionary<string, string>
                {
                    ["inputIds"] = "input_ids",
                    ["attentionMask"] = "attention_mask",
                    ["tokenTypeIds"] = "token_type_ids",
                },
                Output = "logits",
                OutputKind = "logits",
            },
            Target = target,
            Description = "Tiny BERT-shaped encoder with random weights; tests the wordpiece path.",
        };
        File.WriteAllBytes(Path.Combine(outputDirectory, ModelPackage.ManifestFile), ManifestJson.Serialize(manifest));
        return manifest;
    }

    private static List<string> BuildVocabulary(IEnumerable<string> corpus)
    {
        var words = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var text in corpus)
        {
            var current = new StringBuilder();
            foreach (var c in text.ToLowerInvariant())
            {
                if (char.IsLetterOrDigit(c))
                {
                    current.Append(c);
                    continue;
                }
                Flush(current, words);
                if (!char.IsWhiteSpace(c))
                {
                    words.Add(c.ToString());
                }
            }
            Flush(current, words);
        }
        var vocab = new List<string>(Special);
        vocab.AddRange(words.Take(2000));
        vocab.AddRange(Suffixes);
        for (var c = 'a'; c <= 'z'; c++)
        {
            if (!words.Contains(c.ToString()))
            {
                vocab.Add(c.ToString());
            }
        }
        return vocab;
    }

    private static void Flush(StringBuilder current, SortedSet<string> words)
    {
        if (current.Length > 0)
        {
            words.Add(current.ToString());
            current.Clear();
        }
    }

    private static byte[] BuildModel(int vocabSize, int classes, int d, int maxLength, int seed, TensorProto.Types.DataType idType)
    {
        var random = new Random(seed);
        var b = new OnnxGraphBuilder("tiny-bert");
        b.AddInput("input_ids", idType, "batch", "sequence");
        b.AddInput("attention_mask", idType, "batch", "sequence");
        b.AddInput("token_type_ids", idType, "batch", "sequence");
        b.AddOutput("logits", TensorProto.Types.DataType.Float, "batch", classes);

        Weights(b, random, "word_embeddings", vocabSize, d);
        Weights(b, random, "position_embeddings", maxLength, d);
        Weights(b, random, "token_type_embeddings", 2, d);
        b.AddInt64Initializer("zero", [0]);
        b.AddInt64Initializer("one", [1]);
        b.AddInt64Initializer("axis_1", [1], 1);
        b.AddInitializer("attention_scale", [1f / MathF.Sqrt(d)]);
        b.AddInitializer("mask_penalty", [-10000f]);
        b.AddInitializer("one_f", [1f]);
        b.AddInitializer("half", [0.5f]);
        b.AddInitializer("inv_sqrt2", [1f / MathF.Sqrt(2f)]);

        // Embeddings: word + position + token type, then LayerNorm.
        b.Node("Gather", ["word_embeddings", "input_ids"], "words");
        b.Node("Shape", ["input_ids"], "input_shape");
        b.Node("Gather", ["input_shape", "one"], "sequence_length", OnnxGraphBuilder.IntAttribute("axis", 0));
        b.Node("Range", ["zero", "sequence_length", "one"], "positions");
        b.Node("Gather", ["position_embeddings", "positions"], "position_vectors");
        b.Node("Gather", ["token_type_embeddings", "token_type_ids"], "type_vectors");
        b.Node("Add", ["words", "position_vectors"], "embedded_1");
        b.Node("Add", ["embedded_1", "type_vectors"], "embedded");
        var x = LayerNorm(b, "embedded", "embeddings_norm", d);

        // Self-attention, one head; padding masked with a large negative score.
        var q = Dense(b, random, x, "query", d, d);
        var k = Dense(b, random, x, "key", d, d);
        var v = Dense(b, random, x, "value", d, d);
        b.Node("Transpose", [k], "key_t", OnnxGraphBuilder.IntsAttribute("perm", 0, 2, 1));
        b.Node("MatMul", [q, "key_t"], "scores_raw");
        b.Node("Mul", ["scores_raw", "attention_scale"], "scores_scaled");
        b.Node("Cast", ["attention_mask"], "mask_f", OnnxGraphBuilder.IntAttribute("to", (long)TensorProto.Types.DataType.Float));
        b.Node("Sub", ["one_f", "mask_f"], "mask_inverted");
        b.Node("Mul", ["mask_inverted", "mask_penalty"], "mask_bias_2d");
        b.Node("Unsqueeze", ["mask_bias_2d", "axis_1"], "mask_bias");
        b.Node("Add", ["scores_scaled", "mask_bias"], "scores");
        b.Node("Softmax", ["scores"], "attention", OnnxGraphBuilder.IntAttribute("axis", -1));
        b.Node("MatMul", ["attention", v], "context");
        var attended = Dense(b, random, "context", "attention_output", d, d);
        b.Node("Add", [x, attended], "residual_1");
        var x2 = LayerNorm(b, "residual_1", "attention_norm", d);

        // Feed-forward with GELU (erf form).
        var h = Dense(b, random, x2, "intermediate", d, d * 4);
        b.Node("Mul", [h, "inv_sqrt2"], "gelu_scaled");
        b.Node("Erf", ["gelu_scaled"], "gelu_erf");
        b.Node("Add", ["gelu_erf", "one_f"], "gelu_shift");
        b.Node("Mul", [h, "gelu_shift"], "gelu_product");
        b.Node("Mul", ["gelu_product", "half"], "gelu");
        var f = Dense(b, random, "gelu", "output", d * 4, d);
        b.Node("Add", [x2, f], "residual_2");
        var x3 = LayerNorm(b, "residual_2", "output_norm", d);

        // Pooler on [CLS], then the classifier.
        b.Node("Gather", [x3, "zero"], "cls", OnnxGraphBuilder.IntAttribute("axis", 1));
        var pooled = Dense(b, random, "cls", "pooler", d, d);
        b.Node("Tanh", [pooled], "pooled");
        var logits = Dense(b, random, "pooled", "classifier", d, classes);
        b.Node("Identity", [logits], "logits");
        return b.ToBytes("Tiny BERT-shaped encoder with random weights (Verdict test model).");
    }

    private static string Dense(OnnxGraphBuilder b, Random random, string input, string name, int inputs, int outputs)
    {
        Weights(b, random, $"{name}.weight", inputs, outputs);
        b.AddInitializer($"{name}.bias", new float[outputs], outputs);
        b.Node("MatMul", [input, $"{name}.weight"], $"{name}.linear");
        return b.Node("Add", [$"{name}.linear", $"{name}.bias"], $"{name}.out");
    }

    private static string LayerNorm(OnnxGraphBuilder b, string input, string name, int d)
    {
        b.AddInitializer($"{name}.gamma", Enumerable.Repeat(1f, d).ToArray(), d);
        b.AddInitializer($"{name}.beta", new float[d], d);
        return b.Node("LayerNormalization", [input, $"{name}.gamma", $"{name}.beta"], $"{name}.out",
            OnnxGraphBuilder.IntAttribute("axis", -1), OnnxGraphBuilder.FloatAttribute("epsilon", 1e-12f));
    }

    private static void Weights(OnnxGraphBuilder b, Random random, string name, int rows, int columns)
    {
        // BERT's initialization: normal(0, 0.02), by Box–Muller from the seeded generator.
        var values = new float[rows * columns];
        for (var i = 0; i < values.Length; i++)
        {
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            values[i] = (float)(0.02 * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        b.AddInitializer(name, values, rows, columns);
    }
}
