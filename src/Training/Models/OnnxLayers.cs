using Verdict.Training.Onnx;
using Verdict.Training.Onnx.Proto;

namespace Verdict.Training.Models;

internal static class OnnxLayers
{
    /// <summary>A graph over hashed n-grams: inputs <c>ids</c> and <c>weights</c> ([batch, n]), output <c>logits</c> ([batch, classes]).</summary>
    public static OnnxGraphBuilder HashedNGramGraph(string name, int classes)
    {
        var b = new OnnxGraphBuilder(name);
        b.AddInput("ids", TensorProto.Types.DataType.Int64, "batch", "ngrams");
        b.AddInput("weights", TensorProto.Types.DataType.Float, "batch", "ngrams");
        b.AddOutput("logits", TensorProto.Types.DataType.Float, "batch", classes);
        return b;
    }

    /// <summary>
    /// <c>output[b] = Σₙ weights[b,n] · table[ids[b,n]]</c>: Gather → Mul by the unsqueezed weights →
    /// ReduceSum over n. Padding uses id 0 with weight 0, so it adds nothing.
    /// </summary>
    public static void EmbeddingBag(OnnxGraphBuilder b, string table, string output)
    {
        b.AddInt64Initializer("axis_2", [2], 1);
        b.AddInt64Initializer("axis_1", [1], 1);
        b.Node("Gather", [table, "ids"], "rows", OnnxGraphBuilder.IntAttribute("axis", 0));
        b.Node("Unsqueeze", ["weights", "axis_2"], "weights_3d");
        b.Node("Mul", ["rows", "weights_3d"], "scaled_rows");
        b.Node("ReduceSum", ["scaled_rows", "axis_1"], output, OnnxGraphBuilder.IntAttribute("keepdims", 0));
    }
}
