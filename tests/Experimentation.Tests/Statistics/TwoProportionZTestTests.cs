using Verdict.Experimentation.Statistics;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Statistics;

public sealed class TwoProportionZTestTests
{
    private static Comparison Run(long sc, long nc, long st, long nt) =>
        TwoProportionZTest.Compute("c", "t", new ProportionSummary(nc, sc), new ProportionSummary(nt, st), 0.05);

    [Fact]
    public void Compute_ModerateSample_MatchesRPropTest()
    {
        var r = Run(410, 500, 455, 500);
        // R 4.2: prop.test(c(410,455), c(500,500), correct=FALSE)$p.value
        Golden.Relative(3.1236743521988122e-05, r.PValue);
        // R: p1<-410/500; p2<-455/500; se<-sqrt(p1*(1-p1)/500+p2*(1-p2)/500); p2-p1 + c(-1,1)*qnorm(0.975)*se
        Golden.Relative(0.09, r.Diff, 1e-12);
        Golden.Relative(0.048009172445656709, r.CiLow);
        Golden.Relative(0.131990827554343437, r.CiHigh);
        // R: rel<-p2/p1-1; v<-(p2*(1-p2)/500)/p1^2 + p2^2*(p1*(1-p1)/500)/p1^4; rel + c(-1,1)*qnorm(0.975)*sqrt(v)
        Golden.Relative(0.10975609756097571, r.RelLift);
        Golden.Relative(0.05486698305844287, r.RelCiLow);
        Golden.Relative(0.16464521206350854, r.RelCiHigh);
        Assert.Equal("delta", r.RelCiMethod);
        Assert.True(r.Significant);
    }

    [Theory]
    // statsmodels 0.13: confint_proportions_2indep(25, 25, 0, 30, method="newcomb", compare="diff") -> (0.8249986681762722, 1.0)
    [InlineData(0, 30, 25, 25, 0.8249986681762722, 1.0)]
    // confint_proportions_2indep(0, 30, 25, 25, method="newcomb", compare="diff") -> (-1.0, -0.8249986681762722)
    [InlineData(25, 25, 0, 30, -1.0, -0.8249986681762722)]
    // confint_proportions_2indep(9, 20, 3, 20, method="newcomb", compare="diff") -> (0.015282314886274462, 0.5296962485585452)
    [InlineData(3, 20, 9, 20, 0.015282314886274462, 0.5296962485585452)]
    public void Compute_FewerThanTenSuccessesOrFailures_GivesNewcombesIntervalInsideMinusOneToOne(long sc, long nc, long st, long nt, double low, double high)
    {
        var r = Run(sc, nc, st, nt);
        Assert.Equal("newcombe", r.CiMethod);
        Assert.Equal(low, r.CiLow!.Value, 1e-12);
        Assert.Equal(high, r.CiHigh!.Value, 1e-12);
        Assert.True(r.CiHigh > r.CiLow, "never a zero-width interval");
        Assert.Equal((double)st / nt - ((double)sc / nc), r.Diff!.Value, 1e-15);
    }

    [Fact]
    public void Compute_TenOrMoreSuccessesAndFailures_KeepsWald()
    {
        Assert.Equal("wald", Run(410, 500, 455, 500).CiMethod);
    }

    [Theory]
    // R 4.2: prop.test(c(4100,4550), c(5000,5000), correct=FALSE)$p.value
    [InlineData(4100, 5000, 4550, 5000, 1.3315033282950654e-39)]
    // R 4.2: prop.test(c(20000,23000), c(50000,50000), correct=FALSE)$p.value
    [InlineData(20000, 50000, 23000, 50000, 7.629335075155693e-82)]
    public void Compute_TinyPValue_KeepsItsValueInsteadOfZero(long sc, long nc, long st, long nt, double expected)
    {
        Golden.Relative(expected, Run(sc, nc, st, nt).PValue);
    }

    [Fact]
    public void Compute_SmallCounts_UsesLogRiskRatioInterval()
    {
        var r = Run(3, 20, 9, 20);
        Assert.Equal("log-risk-ratio", r.RelCiMethod);
        // R: lrr<-log((9/20)/(3/20)); s<-sqrt(1/9-1/20+1/3-1/20); exp(lrr + c(-1,1)*qnorm(0.975)*s) - 1
        Golden.Relative(-0.050365978406906264, r.RelCiLow);
        Golden.Relative(8.477335263222478545, r.RelCiHigh);
        Golden.Relative(2.0, r.RelLift, 1e-12);
    }

    [Fact]
    public void Compute_ZeroControlSuccesses_NullLiftWithReasonAndHaldaneInterval()
    {
        var r = Run(0, 20, 4, 20);
        // R 4.2: prop.test(c(0,4), c(20,20), correct=FALSE)$p.value
        Golden.Relative(0.035014981019662543, r.PValue);
        Assert.Null(r.RelLift);
        Assert.Equal(UninformativeReason.ZeroControlMean, r.RelLiftReason);
    }

    [Fact]
    public void Compute_ZeroTreatmentSuccesses_HaldaneCorrectedInterval()
    {
        var r = Run(4, 20, 0, 20);
        Assert.Equal("log-risk-ratio", r.RelCiMethod);
        // R: lrr<-log((0.5/21)/(4.5/21)); s<-sqrt(1/0.5-1/21+1/4.5-1/21); exp(lrr + c(-1,1)*qnorm(0.975)*s) - 1
        Golden.Relative(-0.99362691768719758, r.RelCiLow);
        Golden.Relative(0.93715982414747323, r.RelCiHigh);
        Golden.Relative(-1.0, r.RelLift, 1e-12);
    }

    [Theory]
    [InlineData(20, 20, 30, 30)]
    [InlineData(0, 20, 0, 30)]
    public void Compute_AllCorrectOrAllWrong_ReturnsZeroVarianceReason(long sc, long nc, long st, long nt)
    {
        var r = Run(sc, nc, st, nt);
        Assert.Equal(UninformativeReason.ZeroVariance, r.Reason);
        Assert.Null(r.PValue);
        Assert.False(r.Significant);
    }

    [Fact]
    public void Compute_EmptyArm_ReturnsEmptyArmReason()
    {
        var r = Run(0, 0, 5, 10);
        Assert.Equal(UninformativeReason.EmptyArm, r.Reason);
        Assert.Null(r.Diff);
    }
}
