using Google.Protobuf;
using Verdict.Training.Models;
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
        AddPooling(new OnnxGraphBuilder(model.Graph, "verdict_"), model.Graph, encoder);
        SetOutput(model.Graph, EmbeddingOutput, encoder.Dimension);
        return model.ToByteArray();
    }

    /// <summary>
    /// The classifier: <c>logits = normalize(pool(encoder)) · W + b</c>, plus <c>Σ weights·T[ids]</c> when an n-gram
    /// table is given (stored int8 with a scale per row when <paramref name="int8NGrams"/>). <paramref name="dense"/> is
    /// [dimension, classes] row-major; <paramref name="ngramTable"/> is [buckets, classes].
    /// </summary>
    public static byte[] Classifier(
        PretrainedEncoder encoder, byte[] onnx, float[] dense, float[] bias, int classes, float[]? ngramTable, string docString, bool int8NGrams = false)
    {
        var model = ModelProto.Parser.ParseFrom(onnx);
        var b = new OnnxGraphBuilder(model.Graph, "verdict_");
        AddPooling(b, model.Graph, encoder);
        b.AddInitializer("verdict_head_W", dense, encoder.Dimension, classes);
        b.AddInitializer("verdict_head_b", bias, classes);
        b.Node("MatMul", [EmbeddingOutput, "verdict_head_W"], "verdict_head_linear");
        if (ngramTable is null)
        {
            b.Node("Add", ["verdict_head_linear", "verdict_head_b"], "logits");
        }
        else
        {
            // The same bag as the n-gram models' (OnnxLayers), beside the encoder.
            b.AddInput("ids", TensorProto.Types.DataType.Int64, "batch", "ngrams");
            b.AddInput("weights", TensorProto.Types.DataType.Float, "batch", "ngrams");
            var rows = ngramTable.Length / classes;
            if (int8NGrams)
            {
                OnnxLayers.QuantizedEmbeddingBag(b, "verdict_ngram_T", ngramTable, rows, classes, "verdict_ngram_bag");
            }
            else
            {
                b.AddInitializer("verdict_ngram_T", ngramTable, rows, classes);
                OnnxLayers.EmbeddingBag(b, "verdict_ngram_T", "verdict_ngram_bag");
            }
            b.Node("Add", ["verdict_head_linear", "verdict_ngram_bag"], "verdict_head_sum");
            b.Node("Add", ["verdict_head_sum", "verdict_head_b"], "logits");
        }
        SetOutput(model.Graph, "logits", classes);
        model.DocString = docString;
        model.ProducerName = "verdict";
        return model.ToByteArray();
    }

    /// <summary>
    /// Mean pooling is <c>MatMul(mask as a [batch, 1, seq] row, states)</c>, the masked sum; dividing by the token count
    /// is left out because the L2 normalisation that follows removes any positive factor. CLS pooling gathers position 0.
    /// </summary>
    private static void AddPooling(OnnxGraphBuilder b, GraphProto graph, PretrainedEncoder encoder)
    {
        if (!graph.Node.Any(n => n.Output.Contains(StatesOutput)))
        {
            throw new InvalidOperationException($"encoder '{encoder.Name}': the graph has no '{StatesOutput}' output.");
        }
        if (encoder.Pooling == EncoderPooling.Mean)
        {
            b.AddInt64Initializer("verdict_pool_shape_row", [0, 1, -1], 3);
            b.AddInt64Initializer("verdict_pool_shape_flat", [0, -1], 2);
            b.Node("Cast", ["attention_mask"], "verdict_pool_mask", OnnxGraphBuilder.IntAttribute("to", (long)TensorProto.Types.DataType.Float));
            b.Node("Reshape", ["verdict_pool_mask", "verdict_pool_shape_row"], "verdict_pool_mask_row");
            b.Node("MatMul", ["verdict_pool_mask_row", StatesOutput], "verdict_pool_sum_row");
            b.Node("Reshape", ["verdict_pool_sum_row", "verdict_pool_shape_flat"], "verdict_pooled");
        }
        else
        {
            b.AddInt64Initializer("verdict_pool_first", [0]);
            b.Node("Gather", [StatesOutput, "verdict_pool_first"], "verdict_pooled", OnnxGraphBuilder.IntAttribute("axis", 1));
        }
        b.Node("LpNormalization", ["verdict_pooled"], EmbeddingOutput,
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
}
