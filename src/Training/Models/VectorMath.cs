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

    /// <summary>Softmax in place.</summary>
    public static void SoftmaxInPlace(Span<float> values)
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
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(Math.Exp(values[i] - max) / sum);
        }
    }

    /// <summary>
    /// Turns softmax probabilities into the cross-entropy gradient in place (<c>p − q</c>, with <c>q</c> the one-hot
    /// <paramref name="label"/> when <paramref name="soft"/> is empty) and returns the loss <c>−Σ q log p</c>.
    /// </summary>
    public static float CrossEntropyGradient(Span<float> probabilities, int label, ReadOnlySpan<float> soft)
    {
        if (soft.IsEmpty)
        {
            var loss = -MathF.Log(Math.Max(probabilities[label], 1e-30f));
            probabilities[label] -= 1f;
            return loss;
        }
        var total = 0f;
        for (var c = 0; c < probabilities.Length; c++)
        {
            if (soft[c] > 0f)
            {
                total -= soft[c] * MathF.Log(Math.Max(probabilities[c], 1e-30f));
            }
            probabilities[c] -= soft[c];
        }
        return total;
    }
}
