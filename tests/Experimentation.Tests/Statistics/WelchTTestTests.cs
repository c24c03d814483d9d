using Verdict.Experimentation.Statistics;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Statistics;

public sealed class WelchTTestTests
{
    internal static readonly double[] Control = [312, 95, 410, 188, 276, 1203, 150, 222, 305, 96, 480, 199, 260, 2400];
    internal static readonly double[] Treatment = [280, 120, 350, 175, 240, 160, 140, 210, 299, 88, 400, 190, 230, 170, 260];

    [Fact]
    public void Compute_RawSeconds_MatchesRTTest()
    {
        var r = WelchTTest.Compute("c", "t", MeanSummary.Of(Control), MeanSummary.Of(Treatment), 0.05);
        // R 4.2: t.test(y, x, var.equal=FALSE) with x = Control, y = Treatment
        Golden.Relative(-1.49734056804839466, r.Statistic);
        Golden.Relative(13.46993331467986721, r.Df);
        Golden.Relative(0.15736730390155398, r.PValue);
        Golden.Relative(-610.26169887534604186, r.CiLow);
        Golden.Relative(109.57598458963175858, r.CiHigh);
        Assert.False(r.Significant);
    }

    [Fact]
    public void Compute_LogSeconds_ReportsRatioOfGeometricMeans()
    {
        var r = WelchTTest.Compute("c", "t", MeanSummary.Of(Control.Select(v => Math.Log(1 + v))), MeanSummary.Of(Treatment.Select(v => Math.Log(1 + v))), 0.05, logScale: true);
        // R 4.2: t2 <- t.test(log1p(y), log1p(x), var.equal=FALSE); exp(t2$conf.int) - 1; exp(diff(rev(t2$estimate))) - 1
        Golden.Relative(-1.45062940416773190, r.Statistic);
        Golden.Relative(18.01328150058495936, r.Df);
        Golden.Relative(0.16407428389313850, r.PValue);
        Golden.Relative(-0.31231212277504539, r.RelLift);
        Golden.Relative(-0.60014688593690324, r.RelCiLow);
        Golden.Relative(0.18272085385719539, r.RelCiHigh);
        Assert.Equal("welch-t-log", r.Test);
    }

    [Fact]
    public void Compute_FarApartSamples_KeepsTinyPValue()
    {
        var x = Enumerable.Range(1, 50).Select(i => (double)i).ToArray();
        var y = x.Select(v => (v * 1.1) + 60).ToArray();
        var r = WelchTTest.Compute("c", "t", MeanSummary.Of(x), MeanSummary.Of(y), 0.05);
        // R 4.2: x <- seq(1, 50); y <- seq(1, 50) * 1.1 + 60; t.test(y, x, var.equal=FALSE)
        Golden.Relative(2.0409704278757694e+01, r.Statistic);
        Golden.Relative(9.7123046954263216e+01, r.Df);
        Golden.Relative(6.6638594355351695e-37, r.PValue);
        Golden.Relative(5.6467479286354035e+01, r.CiLow);
        Golden.Relative(6.8632520713645960e+01, r.CiHigh);
    }

    [Fact]
    public void Compute_SingleObservation_ReturnsTooFewObservations()
    {
        var r = WelchTTest.Compute("c", "t", MeanSummary.Of([5.0]), MeanSummary.Of([1.0, 2.0]), 0.05);
        Assert.Equal(UninformativeReason.TooFewObservations, r.Reason);
        Assert.Null(r.PValue);
    }

    [Fact]
    public void Compute_ZeroVariance_ReturnsReasonNotNaN()
    {
        var r = WelchTTest.Compute("c", "t", MeanSummary.Of([3.0, 3.0, 3.0]), MeanSummary.Of([3.0, 3.0]), 0.05);
        Assert.Equal(UninformativeReason.ZeroVariance, r.Reason);
        Assert.Null(r.Statistic);
    }

    [Fact]
    public void Compute_ZeroControlMean_NullRelativeLiftWithReason()
    {
        var r = WelchTTest.Compute("c", "t", MeanSummary.Of([-1.0, 1.0, 0.0]), MeanSummary.Of([2.0, 3.0]), 0.05);
        Assert.NotNull(r.PValue);
        Assert.Null(r.RelLift);
        Assert.Equal(UninformativeReason.ZeroControlMean, r.RelLiftReason);
    }
}
