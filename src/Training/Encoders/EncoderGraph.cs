using System.Runtime.InteropServices;
using Google.Protobuf;
using Verdict.Training.Onnx;
using Verdict.Training.Onnx.Proto;

namespace Verdict.Training.Encoders;

/// <summary>
/// Turns a pretrained encoder's graph (token states out) into the graphs Verdict runs: the encoder with its pooling
/// (a sentence vector out, for training), and the encoder, pooling and a trained linear head in one graph with the
/// Hugging Face classifier signature (<c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c> in; <c>logits</c>
/// out), optionally beside a hashed n-gram bag (<c>ids</c>, <c>weights</c>) for the hybrid model. The added nodes use
/// only operators whose form is the same from opset 11 on, so they join the encoder's own opset unchanged.
/// </summary>
internal static class EncoderGraph
{
    public const string EmbeddingOutput = "sentence_embedding";
    private const string StatesOutput = "last_hidden_state";

    /// <summary>The encoder with pooling and L2 normalisation: output <c>sentence_embedding</c> [batch, dimension].</summary>
    public static byte[] WithPooling(PretrainedEncoder encoder, byte[] onnx)
    {
        var model = ModelProto.Parser.ParseFrom(onnx);
        var graph = model.Graph;
        AddPooling(graph, encoder);
        SetOutput(graph, EmbeddingOutput, encoder.Dimension);
        return model.ToByteArray();
    }

    /// <summary>
    /// The classifier: <c>logits = normalize(pool(encoder)) · W + b</c>, plus <c>Σ weights·T[ids]</c> when an n-gram
    /// table is given. <paramref name="dense"/> is [dimension, classes] row-major; <paramref name="ngramTable"/> is
    /// [buckets, classes].
    /// </summary>
    /// <remarks>With <paramref name="int8NGrams"/> the n-gram table is stored int8 with a scale per row.</remarks>
    public static byte[] Classifier(
        PretrainedEncoder encoder, byte[] onnx, float[] dense, float[] bias, int classes, float[]? ngramTable, string docString, bool int8NGrams = false)
    {
        var model = ModelProto.Parser.ParseFrom(onnx);
        var graph = model.Graph;
        AddPooling(graph, encoder);
        AddFloat(graph, "verdict_head_W", dense, encoder.Dimension, classes);
        AddFloat(graph, "verdict_head_b", bias, classes);
        Node(graph, "MatMul", [EmbeddingOutput, "verdict_head_W"], "verdict_head_linear");
        if (ngramTable is null)
        {
            Node(graph, "Add", ["verdict_head_linear", "verdict_head_b"], "logits");
        }
        else
        {
            graph.Input.Add(Input("ids", TensorProto.Types.DataType.Int64));
            graph.Input.Add(Input("weights", TensorProto.Types.DataType.Float));
            var rows = ngramTable.Length / classes;
            AddInt64(graph, "verdict_shape_row", [0, 1, -1], 3);
            AddInt64(graph, "verdict_shape_flat", [0, -1], 2);
            var weights = "weights";
            if (int8NGrams)
            {
                // As OnnxLayers.QuantizedEmbeddingBag: gather int8 rows, widen them, fold each row's scale into its weight.
                var (quantized, scales) = DynamicQuantizer.QuantizeRows(ngramTable, rows, classes);
                AddRaw(graph, "verdict_ngram_T_int8", TensorProto.Types.DataType.Int8, MemoryMarshal.AsBytes(quantized.AsSpan()), rows, classes);
                AddFloat(graph, "verdict_ngram_T_scale", scales, rows);
                Node(graph, "Gather", ["verdict_ngram_T_int8", "ids"], "verdict_ngram_rows_int8", OnnxGraphBuilder.IntAttribute("axis", 0));
                Node(graph, "Cast", ["verdict_ngram_rows_int8"], "verdict_ngram_rows", OnnxGraphBuilder.IntAttribute("to", (long)TensorProto.Types.DataType.Float));
                Node(graph, "Gather", ["verdict_ngram_T_scale", "ids"], "verdict_ngram_row_scales", OnnxGraphBuilder.IntAttribute("axis", 0));
                Node(graph, "Mul", ["weights", "verdict_ngram_row_scales"], "verdict_ngram_scaled_weights");
                weights = "verdict_ngram_scaled_weights";
            }
            else
            {
                AddFloat(graph, "verdict_ngram_T", ngramTable, rows, classes);
                Node(graph, "Gather", ["verdict_ngram_T", "ids"], "verdict_ngram_rows", OnnxGraphBuilder.IntAttribute("axis", 0));
            }
            Node(graph, "Reshape", [weights, "verdict_shape_row"], "verdict_ngram_weights_row");
            Node(graph, "MatMul", ["verdict_ngram_weights_row", "verdict_ngram_rows"], "verdict_ngram_bag_row");
            Node(graph, "Reshape", ["verdict_ngram_bag_row", "verdict_shape_flat"], "verdict_ngram_bag");
            Node(graph, "Add", ["verdict_head_linear", "verdict_ngram_bag"], "verdict_head_sum");
            Node(graph, "Add", ["verdict_head_sum", "verdict_head_b"], "logits");
        }
        SetOutput(graph, "logits", classes);
        model.DocString = docString;
        model.ProducerName = "verdict";
        return model.ToByteArray();
    }

    /// <summary>
    /// Mean pooling is <c>MatMul(mask as a [batch, 1, seq] row, states)</c>, the masked sum; dividing by the token count
    /// is left out because the L2 normalisation that follows removes any positive factor. CLS pooling gathers position 0.
    /// </summary>
    private static void AddPooling(GraphProto graph, PretrainedEncoder encoder)
    {
        if (!graph.Node.Any(n => n.Output.Contains(StatesOutput)))
        {
            throw new InvalidOperationException($"encoder '{encoder.Name}': the graph has no '{StatesOutput}' output.");
        }
        if (encoder.Pooling == EncoderPooling.Mean)
        {
            AddInt64(graph, "verdict_pool_shape_row", [0, 1, -1], 3);
            AddInt64(graph, "verdict_pool_shape_flat", [0, -1], 2);
            Node(graph, "Cast", ["attention_mask"], "verdict_pool_mask", OnnxGraphBuilder.IntAttribute("to", (long)TensorProto.Types.DataType.Float));
            Node(graph, "Reshape", ["verdict_pool_mask", "verdict_pool_shape_row"], "verdict_pool_mask_row");
            Node(graph, "MatMul", ["verdict_pool_mask_row", StatesOutput], "verdict_pool_sum_row");
            Node(graph, "Reshape", ["verdict_pool_sum_row", "verdict_pool_shape_flat"], "verdict_pooled");
        }
        else
        {
            AddInt64(graph, "verdict_pool_first", [0]);
            Node(graph, "Gather", [StatesOutput, "verdict_pool_first"], "verdict_pooled", OnnxGraphBuilder.IntAttribute("axis", 1));
        }
        Node(graph, "LpNormalization", ["verdict_pooled"], EmbeddingOutput,
            OnnxGraphBuilder.IntAttribute("axis", 1), OnnxGraphBuilder.IntAttribute("p", 2));
    }

    /// <summary>Makes <paramref name="output"/> the only graph output and drops every node and initializer it does not need.</summary>
    private static void SetOutput(GraphProto graph, string output, int width)
    {
        graph.Output.Clear();
        graph.Output.Add(new ValueInfoProto
        {
            Name = output,
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor
                {
                    ElemType = (int)TensorProto.Types.DataType.Float,
                    Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimParam = "batch" }, new TensorShapeProto.Types.Dimension { DimValue = width } } },
                },
            },
        });
        var needed = new HashSet<string>(StringComparer.Ordinal) { output };
        var kept = new List<NodeProto>();
        for (var i = graph.Node.Count - 1; i >= 0; i--)
        {
            var node = graph.Node[i];
            if (node.Output.Any(needed.Contains))
            {
                kept.Add(node);
                foreach (var input in node.Input)
                {
                    needed.Add(input);
                }
            }
        }
        kept.Reverse();
        graph.Node.Clear();
        graph.Node.AddRange(kept);
        var initializers = graph.Initializer.Where(t => needed.Contains(t.Name)).ToList();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(initializers);
        var infos = graph.ValueInfo.Where(v => needed.Contains(v.Name)).ToList();
        graph.ValueInfo.Clear();
        graph.ValueInfo.AddRange(infos);
    }

    private static ValueInfoProto Input(string name, TensorProto.Types.DataType type) => new()
    {
        Name = name,
        Type = new TypeProto
        {
            TensorType = new TypeProto.Types.Tensor
            {
                ElemType = (int)type,
                Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimParam = "batch" }, new TensorShapeProto.Types.Dimension { DimParam = "ngrams" } } },
            },
        },
    };

    internal static void Node(GraphProto graph, string op, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = output + "_node" };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
    }

    internal static void AddFloat(GraphProto graph, string name, ReadOnlySpan<float> values, params long[] dims) =>
        AddRaw(graph, name, TensorProto.Types.DataType.Float, MemoryMarshal.AsBytes(values), dims);

    internal static void AddInt64(GraphProto graph, string name, ReadOnlySpan<long> values, params long[] dims) =>
        AddRaw(graph, name, TensorProto.Types.DataType.Int64, MemoryMarshal.AsBytes(values), dims);

    internal static void AddRaw(GraphProto graph, string name, TensorProto.Types.DataType type, ReadOnlySpan<byte> bytes, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(dims);
        graph.Initializer.Add(tensor);
    }
}
