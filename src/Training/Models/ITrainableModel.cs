using Verdict.Scoring.Featurizers;

namespace Verdict.Training.Models;

/// <summary>A model trained one example at a time by stochastic gradient descent, exportable to ONNX.</summary>
internal interface ITrainableModel
{
    /// <summary>One SGD step on one example; returns the example's cross-entropy loss before the step.</summary>
    float Step(SparseFeatures features, int label, float learningRate);

    /// <summary>One SGD step towards a probability vector (a teacher's soft labels); returns the cross-entropy before the step.</summary>
    float Step(SparseFeatures features, ReadOnlySpan<float> target, float learningRate);

    /// <summary>Writes the logits of one example into <paramref name="logits"/>.</summary>
    void Logits(SparseFeatures features, Span<float> logits);

    /// <summary>The model as an ONNX graph: inputs <c>ids</c> (int64 [batch, n]) and <c>weights</c> (float [batch, n]), output <c>logits</c>.</summary>
    /// <remarks>With <paramref name="int8"/> the n-gram table is stored as int8 with a scale per row.</remarks>
    byte[] ToOnnx(string docString, bool int8 = false);
}
