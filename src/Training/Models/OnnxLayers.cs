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
    /// <c>output[b] = Σₙ weights[b,n] · table[ids[b,n]]</c>: Gather the rows, then one batched MatMul of the
    /// weights ([batch, 1, n]) by the rows ([batch, n, dim]), reshaped to [batch, dim]. Padding uses id 0 with
    /// weight 0, so it adds nothing. The MatMul scales and sums in one pass over the gathered rows; the
    /// Mul → ReduceSum it replaced wrote a scaled copy of them first and summed over a middle axis, which made
    /// a 128-wide bag 2.5× slower on CPU (docs/benchmarks.md). Reshape rather than Unsqueeze/Squeeze, whose form
    /// changed in opset 13, so the bag also joins a pretrained encoder's older opset (the hybrid model).
    /// </summary>
    public static void EmbeddingBag(OnnxGraphBuilder b, string table, string output)
    {
        b.Node("Gather", [table, "ids"], "rows", OnnxGraphBuilder.IntAttribute("axis", 0));
        Bag(b, "weights", output);
    }

    /// <summary>
    /// <see cref="EmbeddingBag"/> over an int8 table with one scale per row: the rows are gathered as int8 and widened,
    /// and each row's scale is folded into its weight, so <c>output[b] = Σₙ (weights[b,n]·scale[ids[b,n]]) · q[ids[b,n]]</c>.
    /// A quarter of the float table's size; the table is what makes an n-gram model large.
    /// </summary>
    public static void QuantizedEmbeddingBag(OnnxGraphBuilder b, string table, ReadOnlySpan<float> values, int rows, int columns, string output)
    {
        var (quantized, scales) = DynamicQuantizer.QuantizeRows(values, rows, columns);
        b.AddInt8Initializer(table + "_int8", quantized, rows, columns);
        b.AddInitializer(table + "_scale", scales, rows);
        b.Node("Gather", [table + "_int8", "ids"], "rows_int8", OnnxGraphBuilder.IntAttribute("axis", 0));
        b.Node("Cast", ["rows_int8"], "rows", OnnxGraphBuilder.IntAttribute("to", (long)TensorProto.Types.DataType.Float));
        b.Node("Gather", [table + "_scale", "ids"], "row_scales", OnnxGraphBuilder.IntAttribute("axis", 0));
        b.Node("Mul", ["weights", "row_scales"], "scaled_weights");
        Bag(b, "scaled_weights", output);
    }

    /// <summary><c>output = reshape(reshape(weights, [b, 1, n]) · rows, [b, dim])</c> over the gathered <c>rows</c>.</summary>
    private static void Bag(OnnxGraphBuilder b, string weights, string output)
    {
        b.AddInt64Initializer("bag_shape_row", [0, 1, -1], 3);
        b.AddInt64Initializer("bag_shape_flat", [0, -1], 2);
        b.Node("Reshape", [weights, "bag_shape_row"], "weights_row");
        b.Node("MatMul", ["weights_row", "rows"], "bag_row");
        b.Node("Reshape", ["bag_row", "bag_shape_flat"], output);
    }
}
