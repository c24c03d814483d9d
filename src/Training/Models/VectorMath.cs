using System.Numerics;
using System.Runtime.InteropServices;

namespace Verdict.Training.Models;

internal static class VectorMath
{
    /// <summary>y += alpha · x.</summary>
    public static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var a = new Vector<float>(alpha);
            var xs = MemoryMarshal.Cast<float, Vector<float>>(x);
            var ys = MemoryMarshal.Cast<float, Vector<float>>(y);
            for (var v = 0; v < xs.Length; v++)
            {
                ys[v] += a * xs[v];
            }
            i = xs.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++)
        {
            y[i] += alpha * x[i];
        }
    }

    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        var i = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var acc = Vector<float>.Zero;
            var xs = MemoryMarshal.Cast<float, Vector<float>>(x);
            var ys = MemoryMarshal.Cast<float, Vector<float>>(y);
            for (var v = 0; v < xs.Length; v++)
            {
                acc += xs[v] * ys[v];
            }
            sum = Vector.Sum(acc);
            i = xs.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++)
        {
            sum += x[i] * y[i];
        }
        return sum;
    }

    /// <summary>Softmax in place; returns the log-probability of <paramref name="target"/>.</summary>
    public static float SoftmaxInPlace(Span<float> values, int target)
    {
        var max = float.NegativeInfinity;
        foreach (var v in values)
        {
            max = Math.Max(max, v);
        }
        double sum = 0;
        for (var i = 0; i < values.Length; i++)
        {
            sum += Math.Exp(values[i] - max);
        }
        var logTarget = target >= 0 ? (float)(values[target] - max - Math.Log(sum)) : 0f;
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(Math.Exp(values[i] - max) / sum);
        }
        return logTarget;
    }
}
