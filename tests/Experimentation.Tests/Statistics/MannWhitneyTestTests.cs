using Verdict.Experimentation.Statistics;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Statistics;

public sealed class MannWhitneyTestTests
{
    [Fact]
    public void Compute_HeavyTailedTimes_MatchesRWilcoxTestAndHodgesLehmann()
    {
        var r = MannWhitneyTest.Compute("c", "t", [.. WelchTTestTests.Control], [.. WelchTTestTests.Treatment], 0.05);
        // R 4.2: wilcox.test(y, x, exact=FALSE, correct=TRUE)$p.value  (W = 76.5: the data have ties)
        Golden.Relative(0.22164307840436773, r.PValue);
        // R: d <- sort(outer(y, x, "-")); median(d)
        Golden.Relative(-52, r.Diff, 1e-12);
        // R: r <- rank(c(y,x)); tt <- table(r); s2 <- 15*14/12*((30) - sum(tt^3-tt)/(29*28));
        //    qu <- floor(210/2 - qnorm(0.975)*sqrt(s2)); c(d[qu], d[210-qu+1])   -> qu = 60
        Golden.Relative(-170, r.CiLow, 1e-12);
        Golden.Relative(39, r.CiHigh, 1e-12);
    }

    [Fact]
    public void PairwiseDifferenceOrderStatistic_MatchesSortedOuterDifferences()
    {
        var rng = new Random(7);
        double[] t = [.. Enumerable.Range(0, 40).Select(_ => Math.Round(rng.NextDouble() * 100, 1) - 30).Order()];
        double[] c = [.. Enumerable.Range(0, 33).Select(_ => Math.Round(rng.NextDouble() * 80, 1)).Order()];
        double[] all = [.. t.SelectMany(a => c.Select(b => a - b)).Order()];
        foreach (long k in new long[] { 1, 2, 17, 660, 661, 1000, all.Length })
        {
            Assert.Equal(all[k - 1], new PairwiseDifferences(t, c).OrderStatistic(k));
        }
    }

    [Theory]
    [InlineData(0.5)] // handling times in half seconds: many exact ties
    [InlineData(0.001)] // milliseconds: differences tied up to rounding
    [InlineData(0)] // continuous: no ties
    public void PairwiseDifferences_NarrowingTheBracket_MatchesSortedOuterDifferences(double grid)
    {
        var rng = new Random(11);
        double Draw(double scale)
        {
            double x = scale * Math.Exp(1.2 * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
            return grid > 0 ? Math.Round(x / grid) * grid : x;
        }
        double[] t = [.. Enumerable.Range(0, 1500).Select(_ => Draw(90)).Order()];
        double[] c = [.. Enumerable.Range(0, 1200).Select(_ => Draw(100)).Order()];
        double[] all = [.. t.SelectMany(a => c.Select(b => a - b)).Order()];
        // A small candidate limit makes every order statistic narrow its bracket many times before listing.
        var differences = new PairwiseDifferences(t, c, candidateLimit: 64);
        foreach (long k in new long[] { 1, 2, 1000, 880_000, 899_999, 900_000, 900_001, 920_000, all.Length - 1, all.Length })
        {
            Assert.Equal(all[k - 1], differences.OrderStatistic(k));
        }
    }

    [Theory]
    [InlineData(40, 33)]
    [InlineData(40, 34)]
    public void Compute_Shift_IsTheMedianOfAllPairwiseDifferences(int n, int m)
    {
        var rng = new Random(n * m);
        double[] t = [.. Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 100)];
        double[] c = [.. Enumerable.Range(0, m).Select(_ => rng.NextDouble() * 90)];
        double[] all = [.. t.SelectMany(a => c.Select(b => a - b)).Order()];
        double median = all.Length % 2 == 1 ? all[all.Length / 2] : (all[(all.Length / 2) - 1] + all[all.Length / 2]) / 2;
        Assert.Equal(median, MannWhitneyTest.Compute("c", "t", c, t, 0.05).Diff);
    }

    [Fact]
    public void Compute_AllValuesEqual_ReturnsZeroVariance()
    {
        var r = MannWhitneyTest.Compute("c", "t", [5, 5, 5], [5, 5], 0.05);
        Assert.Equal(UninformativeReason.ZeroVariance, r.Reason);
        Assert.Null(r.PValue);
    }

    [Fact]
    public void Compute_EmptyArm_ReturnsEmptyArm()
    {
        Assert.Equal(UninformativeReason.EmptyArm, MannWhitneyTest.Compute("c", "t", [], [1, 2], 0.05).Reason);
    }

    [Fact]
    public void Compute_SingleUnitPerArm_GivesAPValueWithoutNaN()
    {
        var r = MannWhitneyTest.Compute("c", "t", [3], [9], 0.05);
        Assert.NotNull(r.PValue);
        Assert.InRange(r.PValue!.Value, 0, 1);
        Assert.Equal(6, r.Diff);
    }
}
