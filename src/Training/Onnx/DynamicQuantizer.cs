using System.Runtime.InteropServices;
using Google.Protobuf;
using Verdict.Training.Onnx.Proto;

namespace Verdict.Training.Onnx;

/// <summary>
/// Dynamic int8 quantization of a graph's dense layers: every <c>MatMul</c> whose second input is a constant 2-D float
/// matrix becomes ONNX Runtime's <c>DynamicQuantizeMatMul</c> (com.microsoft), with the weights stored as int8,
/// symmetric, one scale per output column; activations are quantized per call by the operator itself. The weights
/// take a quarter of the space, and the products run on integer kernels.
/// </summary>
internal static class DynamicQuantizer
{
    public const string MicrosoftDomain = "com.microsoft";

    /// <summary>The quantized graph and how many matrices it quantized.</summary>
    public static (byte[] Onnx, int Quantized) Quantize(byte[] onnx)
    {
        var model = ModelProto.Parser.ParseFrom(onnx);
        var graph = model.Graph;
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var uses = graph.Node.SelectMany(n => n.Input).GroupBy(i => i, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var replaced = new HashSet<string>(StringComparer.Ordinal);
        var count = 0;
        foreach (var node in graph.Node)
        {
            if (node.OpType != "MatMul" || node.Domain.Length > 0 || node.Input.Count != 2
                || !initializers.TryGetValue(node.Input[1], out var weights)
                || weights.DataType != (int)TensorProto.Types.DataType.Float || weights.Dims.Count != 2)
            {
                continue;
            }
            var rows = (int)weights.Dims[0];
            var columns = (int)weights.Dims[1];
            var values = Floats(weights);
            var (quantized, scales) = QuantizeColumns(values, rows, columns);
            var name = weights.Name;
            var q = new TensorProto { Name = name + "_int8", DataType = (int)TensorProto.Types.DataType.Int8, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(quantized.AsSpan())) };
            q.Dims.AddRange([rows, columns]);
            var s = new TensorProto { Name = name + "_scale", DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(scales.AsSpan())) };
            s.Dims.Add(columns);
            graph.Initializer.Add(q);
            graph.Initializer.Add(s);
            var input = node.Input[0];
            node.Input.Clear();
            node.Input.AddRange([input, q.Name, s.Name]);
            node.OpType = "DynamicQuantizeMatMul";
            node.Domain = MicrosoftDomain;
            if (--uses[name] == 0)
            {
                replaced.Add(name);
            }
            count++;
        }
        var kept = graph.Initializer.Where(t => !replaced.Contains(t.Name)).ToList();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(kept);
        if (count > 0 && !model.OpsetImport.Any(o => o.Domain == MicrosoftDomain))
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = MicrosoftDomain, Version = 1 });
        }
        return (model.ToByteArray(), count);
    }

    /// <summary>Symmetric int8 per column: <c>scale = max|w| / 127</c>, <c>q = round(w / scale)</c>.</summary>
    internal static (sbyte[] Quantized, float[] Scales) QuantizeColumns(ReadOnlySpan<float> values, int rows, int columns)
    {
        var scales = new float[columns];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                scales[c] = Math.Max(scales[c], Math.Abs(values[(r * columns) + c]));
            }
        }
        for (var c = 0; c < columns; c++)
        {
            scales[c] = scales[c] > 0 ? scales[c] / 127f : 1f;
        }
        var quantized = new sbyte[values.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                quantized[(r * columns) + c] = (sbyte)Math.Clamp(MathF.Round(values[(r * columns) + c] / scales[c]), -127f, 127f);
            }
        }
        return (quantized, scales);
    }

    /// <summary>Symmetric int8 per row (for embedding tables read a row at a time).</summary>
    internal static (sbyte[] Quantized, float[] Scales) QuantizeRows(ReadOnlySpan<float> values, int rows, int columns)
    {
        var scales = new float[rows];
        var quantized = new sbyte[values.Length];
        for (var r = 0; r < rows; r++)
        {
            var row = values.Slice(r * columns, columns);
            var max = 0f;
            foreach (var v in row)
            {
                max = Math.Max(max, Math.Abs(v));
            }
            var scale = max > 0 ? max / 127f : 1f;
            scales[r] = scale;
            for (var c = 0; c < columns; c++)
            {
                quantized[(r * columns) + c] = (sbyte)Math.Clamp(MathF.Round(row[c] / scale), -127f, 127f);
            }
        }
        return (quantized, scales);
    }

    private static float[] Floats(TensorProto tensor) =>
        tensor.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray() : [.. tensor.FloatData];
}
