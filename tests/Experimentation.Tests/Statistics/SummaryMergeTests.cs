using Verdict.Experimentation.Statistics;

namespace Verdict.Experimentation.Tests.Statistics;

public sealed class SummaryMergeTests
{
    [Fact]
    public void MeanSummary_PartitionsAdded_EqualOnePass()
    {
        var rng = new Random(3);
        double[] values = [.. Enumerable.Range(0, 10_000).Select(_ => 1e6 + (rng.NextDouble() * 50))];
        var whole = MeanSummary.Of(values);
        var merged = values.Chunk(777).Select(MeanSummary.Of).Aggregate(default(MeanSummary), (a, b) => a + b);
        Assert.Equal(whole.Count, merged.Count);
        Assert.Equal(whole.Mean, merged.Mean, 1e-6);
        Assert.Equal(whole.Variance!.Value, merged.Variance!.Value, 1e-6);
        // Large mean, small spread: a naive sum of squares would lose the variance here.
        Assert.InRange(whole.Variance!.Value, 200, 216);
    }

    [Fact]
    public void RatioSummary_PartitionsAdded_EqualOnePass()
    {
        var rng = new Random(4);
        var pairs = Enumerable.Range(0, 5000).Select(_ => (X: (double)rng.Next(0, 4), Y: (double)rng.Next(1, 5))).ToArray();
        var whole = pairs.Aggregate(default(RatioSummary), (s, p) => s.Add(p.X, p.Y));
        var merged = pairs.Chunk(333).Select(ch => ch.Aggregate(default(RatioSummary), (s, p) => s.Add(p.X, p.Y))).Aggregate(default(RatioSummary), (a, b) => a + b);
        Assert.Equal(whole.Units, merged.Units);
        Assert.Equal(whole.Ratio!.Value, merged.Ratio!.Value, 1e-12);
        Assert.Equal(whole.CXY, merged.CXY, 1e-6);
        Assert.Equal(whole.M2Y, merged.M2Y, 1e-6);
    }

    [Fact]
    public void ProportionSummary_Add_CountsSuccesses()
    {
        var s = default(ProportionSummary).Add(true).Add(false).Add(true) + new ProportionSummary(2, 1);
        Assert.Equal(new ProportionSummary(5, 3), s);
        Assert.Equal(0.6, s.Rate);
    }
}
