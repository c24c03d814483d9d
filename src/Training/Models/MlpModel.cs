using Verdict.Scoring.Featurizers;

namespace Verdict.Training.Models;

/// <summary>
/// fastText-like network: an embedding bag of the hashed n-grams (dimension D), one ReLU hidden layer
/// (H units), then softmax: <c>logits = W₂·relu(W₁·Σⱼ xⱼ·E[idⱼ] + b₁) + b₂</c>.
/// </summary>
internal sealed class MlpModel : ITrainableModel
{
    private readonly int _dim;
    private readonly int _hidden;
    private readonly int _classes;
    private readonly float[] _embeddings;
    private readonly float[] _w1; // [hidden][dim]
    private readonly float[] _b1;
    private readonly float[] _w2; // [classes][hidden]
    private readonly float[] _b2;
    private readonly float[] _h0;
    private readonly float[] _a1;
    private readonly float[] _h1;
    private readonly float[] _g2;
    private readonly float[] _dh1;
    private readonly float[] _dh0;
    private readonly float[] _keep;
    private readonly float _dropout;
    private readonly Random _random;


    public MlpModel(int buckets, int dim, int hidden, int classes, double dropout, Random random)
    {
        _dropout = (float)dropout;
        _random = random;
        _keep = new float[hidden];
        Buckets = buckets;
        _dim = dim;
        _hidden = hidden;
        _classes = classes;
        // Inputs have unit L2 norm, so each bag coordinate has the variance of one embedding entry.
        // uniform(±0.25) was best on banking77 (±1: 0.88–0.90 with high seed variance; ±0.25: 0.91).
        _embeddings = Uniform(random, (long)buckets * dim, 0.25);
        _w1 = Uniform(random, hidden * dim, Math.Sqrt(6.0 / dim));
        _b1 = new float[hidden];
        _w2 = Uniform(random, classes * hidden, Math.Sqrt(6.0 / (hidden + classes)));
        _b2 = new float[classes];
        _h0 = new float[dim];
        _a1 = new float[hidden];
        _h1 = new float[hidden];
        _g2 = new float[classes];
        _dh1 = new float[hidden];
        _dh0 = new float[dim];
    }

    public int Buckets { get; }

    public void Logits(SparseFeatures features, Span<float> logits)
    {
        Forward(features);
        for (var c = 0; c < _classes; c++)
        {
            logits[c] = _b2[c] + VectorMath.Dot(_w2.AsSpan(c * _hidden, _hidden), _h1);
        }
    }

    public float Step(SparseFeatures features, int label, float learningRate) => Step(features, label, default, learningRate);

    public float Step(SparseFeatures features, ReadOnlySpan<float> target, float learningRate) => Step(features, -1, target, learningRate);

    private float Step(SparseFeatures features, int label, ReadOnlySpan<float> soft, float learningRate)
    {
        Forward(features);
        // Inverted dropout on the hidden units: training-only, so inference (and ONNX) needs no scaling.
        var scale = 1f / (1f - _dropout);
        for (var k = 0; k < _hidden; k++)
        {
            _keep[k] = _dropout > 0 && _random.NextSingle() < _dropout ? 0f : scale;
            _h1[k] *= _keep[k];
        }
        for (var c = 0; c < _classes; c++)
        {
            _g2[c] = _b2[c] + VectorMath.Dot(_w2.AsSpan(c * _hidden, _hidden), _h1);
        }
        VectorMath.SoftmaxInPlace(_g2);
        var loss = VectorMath.CrossEntropyGradient(_g2, label, soft);

        Array.Clear(_dh1);
        for (var c = 0; c < _classes; c++)
        {
            var row = _w2.AsSpan(c * _hidden, _hidden);
            VectorMath.Axpy(_g2[c], row, _dh1);
            VectorMath.Axpy(-learningRate * _g2[c], _h1, row);
            _b2[c] -= learningRate * _g2[c];
        }
        Array.Clear(_dh0);
        for (var k = 0; k < _hidden; k++)
        {
            if (_a1[k] <= 0f || _keep[k] == 0f)
            {
                continue;
            }
            var grad = _dh1[k] * _keep[k];
            var row = _w1.AsSpan(k * _dim, _dim);
            VectorMath.Axpy(grad, row, _dh0);
            VectorMath.Axpy(-learningRate * grad, _h0, row);
            _b1[k] -= learningRate * grad;
        }
        for (var j = 0; j < features.Count; j++)
        {
            VectorMath.Axpy(-learningRate * features.Values[j], _dh0, _embeddings.AsSpan(features.Ids[j] * _dim, _dim));
        }
        return loss;
    }

    private void Forward(SparseFeatures features)
    {
        Array.Clear(_h0);
        for (var j = 0; j < features.Count; j++)
        {
            VectorMath.Axpy(features.Values[j], _embeddings.AsSpan(features.Ids[j] * _dim, _dim), _h0);
        }
        for (var k = 0; k < _hidden; k++)
        {
            _a1[k] = _b1[k] + VectorMath.Dot(_w1.AsSpan(k * _dim, _dim), _h0);
            _h1[k] = Math.Max(0f, _a1[k]);
        }
    }

    public byte[] ToOnnx(string docString, bool int8 = false)
    {
        var b = OnnxLayers.HashedNGramGraph("verdict-mlp", _classes);
        if (!int8)
        {
            b.AddInitializer("E", _embeddings, Buckets, _dim);
        }
        b.AddInitializer("W1", Transpose(_w1, _hidden, _dim), _dim, _hidden);
        b.AddInitializer("b1", _b1, _hidden);
        b.AddInitializer("W2", Transpose(_w2, _classes, _hidden), _hidden, _classes);
        b.AddInitializer("b2", _b2, _classes);
        if (int8)
        {
            OnnxLayers.QuantizedEmbeddingBag(b, "E", _embeddings, Buckets, _dim, "bag");
        }
        else
        {
            OnnxLayers.EmbeddingBag(b, "E", "bag");
        }
        b.Node("MatMul", ["bag", "W1"], "hidden_linear");
        b.Node("Add", ["hidden_linear", "b1"], "hidden_pre");
        b.Node("Relu", ["hidden_pre"], "hidden");
        b.Node("MatMul", ["hidden", "W2"], "out_linear");
        b.Node("Add", ["out_linear", "b2"], "logits");
        return b.ToBytes(docString);
    }

    private static float[] Uniform(Random random, long count, double limit)
    {
        var values = new float[checked((int)count)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(((random.NextDouble() * 2) - 1) * limit);
        }
        return values;
    }

    private static float[] Transpose(float[] matrix, int rows, int columns)
    {
        var result = new float[matrix.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                result[(c * rows) + r] = matrix[(r * columns) + c];
            }
        }
        return result;
    }
}
