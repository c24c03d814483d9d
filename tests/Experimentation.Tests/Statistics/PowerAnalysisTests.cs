using Verdict.Experimentation.Statistics;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Statistics;

public sealed class PowerAnalysisTests
{
    [Fact]
    public void ProportionSampleSize_MatchesRPowerPropTest()
    {
        // R 4.2: power.prop.test(p1=0.80, p2=0.82, sig.level=0.05, power=0.8)$n  (uniroot tol ~1e-4)
        Golden.Relative(6038.5338846085942, PowerAnalysis.ProportionSampleSize(0.80, 0.82, 0.05, 0.8), 1e-6);
    }

    [Fact]
    public void ProportionPower_MatchesRPowerPropTest()
    {
        // R 4.2: power.prop.test(n=5000, p1=0.80, p2=0.82, sig.level=0.05)$power
        Golden.Relative(0.7221670294398157, PowerAnalysis.ProportionPower(5000, 0.80, 0.82, 0.05));
    }

    [Fact]
    public void ProportionMinimumDetectable_MatchesRPowerPropTest()
    {
        // R 4.2: power.prop.test(n=5000, p1=0.80, power=0.8, sig.level=0.05)$p2  (uniroot tol ~1e-4 on p2)
        Golden.Absolute(0.82192084352254713, PowerAnalysis.ProportionMinimumDetectable(0.80, 5000, 0.05, 0.8), 1e-4);
    }

    [Fact]
    public void MeanSampleSize_MatchesRPowerTTest()
    {
        // R 4.2: power.t.test(delta=20, sd=240, sig.level=0.05, power=0.8)$n  (uniroot tol ~1e-4)
        Golden.Relative(2261.438129198616, PowerAnalysis.MeanSampleSize(20, 240, 0.05, 0.8), 1e-6);
    }

    [Theory]
    // R 4.2: power.t.test(n=1000, delta=20, sd=240, sig.level=0.05)$power
    [InlineData(1000, 20, 240, 0.05, 0.46117670098072849)]
    // R 4.2: power.t.test(n=30, delta=1, sd=1.5, sig.level=0.01)$power
    [InlineData(30, 1, 1.5, 0.01, 0.47305368171015716)]
    public void MeanPower_MatchesRPowerTTest(double n, double delta, double sd, double alpha, double expected)
    {
        Golden.Relative(expected, PowerAnalysis.MeanPower(n, delta, sd, alpha));
    }

    [Fact]
    public void MeanMinimumDetectable_MatchesRPowerTTest()
    {
        // R 4.2: power.t.test(n=1000, sd=240, sig.level=0.05, power=0.9)$delta  (uniroot tol ~1e-4)
        Golden.Relative(34.808331145162541, PowerAnalysis.MeanMinimumDetectable(1000, 240, 0.05, 0.9), 1e-5);
    }

    [Theory]
    // R 4.2: pt(2.5, 10, ncp=1.2)
    [InlineData(2.5, 10, 1.2, 0.86106551166119871)]
    // R 4.2: pt(-1, 5, ncp=0.5)
    [InlineData(-1, 5, 0.5, 0.082444091056970814)]
    // R 4.2: pt(3, 50, ncp=3.3)
    [InlineData(3, 50, 3.3, 0.38128690614566946)]
    public void NoncentralStudentT_MatchesRPt(double t, double df, double ncp, double expected)
    {
        Golden.Relative(expected, NoncentralStudentT.Cdf(t, df, ncp), 1e-9);
    }
}
