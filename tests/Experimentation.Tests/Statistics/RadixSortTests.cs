using Verdict.Experimentation.Statistics;

namespace Verdict.Experimentation.Tests.Statistics;

public sealed class RadixSortTests
{
    [Theory]
    [InlineData(100)] // below the radix threshold: a comparison sort
    [InlineData(50_000)]
    public void SortNonNegative_OrdersLikeAComparisonSort(int n)
    {
        var random = new Random(n);
        // Handling times as logged: lognormal seconds, many rounded to the millisecond or the second (ties),
        // a few zeros and subnormals, one infinity and a negative zero.
        var values = Enumerable.Range(0, n).Select(i => (i % 5) switch
        {
            0 => Math.Round(Math.Exp(random.NextDouble() * 8), 3),
            1 => Math.Round(Math.Exp(random.NextDouble() * 8)),
            2 => 0.0,
            3 => double.Epsilon * random.Next(1, 100),
            _ => Math.Exp(random.NextDouble() * 40 - 20),
        }).ToArray();
        values[n / 2] = double.PositiveInfinity;
        values[n / 3] = -0.0;
        var expected = values.Order().ToArray();

        RadixSort.SortNonNegative(values, new double[n]);

        Assert.Equal(expected, values);
        Assert.False(double.IsNegative(values[0]), "−0 is stored as +0");
    }

    [Fact]
    public void SortNonNegative_NegativeValue_FallsBackToAComparisonSort()
    {
        var values = Enumerable.Range(0, 10_000).Select(i => (double)((i * 7919) % 10_000) - 5).ToArray();

        RadixSort.SortNonNegative(values, new double[values.Length]);

        Assert.Equal(Enumerable.Range(0, 10_000).Select(i => i - 5.0), values);
    }
}
