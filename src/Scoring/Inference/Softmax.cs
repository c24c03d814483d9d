namespace Verdict.Scoring.Inference;

internal static class Softmax
{
    /// <summary>Numerically stable softmax in place (the maximum is subtracted before exponentiation).</summary>
    public static void Apply(Span<float> values)
    {
        var max = float.NegativeInfinity;
        foreach (var v in values)
        {
            max = Math.Max(max, v);
        }
        double sum = 0;
        for (var i = 0; i < values.Length; i++)
        {
            var e = Math.Exp(values[i] - max);
            values[i] = (float)e;
            sum += e;
        }
        var scale = (float)(1.0 / sum);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] *= scale;
        }
    }
}
