using Verdict.Scoring.Featurizers;

namespace Verdict.Training.Models;

/// <summary>
/// Softmax regression on hashed n-grams: <c>logits = Σⱼ xⱼ·W[idⱼ] + b</c>. In ONNX the sum is an
/// embedding bag: Gather the rows of W, then sum them weighted (one batched MatMul by the weights).
/// </summary>
internal sealed class LinearModel : ITrainableModel
{
    private readonly int _classes;
    private readonly float[] _weights;
    private readonly float[] _bias;
    private readonly float[] _scratch;

    public LinearModel(int buckets, int classes)
    {
        _classes = classes;
        _weights = new float[(long)buckets * classes > int.MaxValue ? throw new ArgumentOutOfRangeException(nameof(buckets)) : buckets * classes];
        _bias = new float[classes];
        _scratch = new float[classes];
        Buckets = buckets;
    }

    public int Buckets { get; }

    public void Logits(SparseFeatures features, Span<float> logits)
    {
        _bias.CopyTo(logits);
        for (var j = 0; j < features.Count; j++)
        {
            VectorMath.Axpy(features.Values[j], _weights.AsSpan(features.Ids[j] * _classes, _classes), logits);
        }
    }

    /// <summary>The weights, [buckets, classes] row-major.</summary>
    public float[] Weights => _weights;

    public float[] Bias => _bias;

    public int Classes => _classes;

    public float Step(SparseFeatures features, int label, float learningRate) => Step(features, label, default, learningRate);

    public float Step(SparseFeatures features, ReadOnlySpan<float> target, float learningRate) => Step(features, -1, target, learningRate);

    private float Step(SparseFeatures features, int label, ReadOnlySpan<float> soft, float learningRate)
    {
        var g = _scratch.AsSpan();
        Logits(features, g);
        VectorMath.SoftmaxInPlace(g);
        var loss = VectorMath.CrossEntropyGradient(g, label, soft);
        for (var j = 0; j < features.Count; j++)
        {
            VectorMath.Axpy(-learningRate * features.Values[j], g, _weights.AsSpan(features.Ids[j] * _classes, _classes));
        }
        VectorMath.Axpy(-learningRate, g, _bias);
        return loss;
    }

    public byte[] ToOnnx(string docString, bool int8 = false)
    {
        var b = OnnxLayers.HashedNGramGraph("verdict-linear", _classes);
        b.AddInitializer("b", _bias, _classes);
        if (int8)
        {
            OnnxLayers.QuantizedEmbeddingBag(b, "W", _weights, Buckets, _classes, "bag");
        }
        else
        {
            b.AddInitializer("W", _weights, Buckets, _classes);
            OnnxLayers.EmbeddingBag(b, "W", "bag");
        }
        b.Node("Add", ["bag", "b"], "logits");
        return b.ToBytes(docString);
    }
}
