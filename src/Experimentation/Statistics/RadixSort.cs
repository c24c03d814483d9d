using System.Runtime.InteropServices;

namespace Verdict.Experimentation.Statistics;

/// <summary>
/// Sorts non-negative doubles (handling times) by their bits: for x ≥ 0 the IEEE 754 pattern read as an
/// unsigned integer orders as the value does, so a least-significant-digit radix sort over its eight bytes
/// sorts them. On millions of values this is several times faster than a comparison sort.
/// </summary>
internal static class RadixSort
{
    private const int Digits = 8;

    /// <summary>
    /// Sorts <paramref name="values"/> in place, using <paramref name="scratch"/> (at least as long) as the
    /// other buffer. −0 becomes +0. A sample with a negative value or a NaN is sorted by comparison instead.
    /// </summary>
    public static void SortNonNegative(Span<double> values, Span<double> scratch)
    {
        if (values.Length < 4096)
        {
            values.Sort();
            return;
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(scratch.Length, values.Length);
        var keys = MemoryMarshal.Cast<double, ulong>(values);
        var other = MemoryMarshal.Cast<double, ulong>(scratch[..values.Length]);

        // One pass counts every digit; a digit all values share needs no pass of its own.
        var counts = new int[Digits * 256];
        for (int i = 0; i < keys.Length; i++)
        {
            ulong k = keys[i];
            if (k >= 0x7FF0_0000_0000_0001UL)
            {
                if (k != 0x8000_0000_0000_0000UL)
                {
                    // Negative or NaN: not this sort's domain.
                    values.Sort();
                    return;
                }
                keys[i] = k = 0;
            }
            for (int d = 0; d < Digits; d++)
            {
                counts[(d << 8) | (int)((k >> (d * 8)) & 0xFF)]++;
            }
        }

        var source = keys;
        var target = other;
        var offsets = new int[256];
        for (int d = 0; d < Digits; d++)
        {
            var digitCounts = counts.AsSpan(d << 8, 256);
            if (digitCounts.Contains(keys.Length))
            {
                continue;
            }
            int sum = 0;
            for (int b = 0; b < 256; b++)
            {
                offsets[b] = sum;
                sum += digitCounts[b];
            }
            int shift = d * 8;
            foreach (ulong k in source)
            {
                target[offsets[(int)((k >> shift) & 0xFF)]++] = k;
            }
            var swap = source;
            source = target;
            target = swap;
        }
        if (source != keys)
        {
            source.CopyTo(keys);
        }
    }
}
