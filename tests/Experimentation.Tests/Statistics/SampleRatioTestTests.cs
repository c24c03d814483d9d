using Verdict.Experimentation.Statistics;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Statistics;

public sealed class SampleRatioTestTests
{
    private static Dictionary<string, long> Units(params (string Arm, long N)[] arms) => arms.ToDictionary(a => a.Arm, a => a.N);

    [Fact]
    public void Compute_SlightImbalance_NoMismatch()
    {
        var r = SampleRatioTest.Compute(Units(("a", 5000), ("b", 5210)), new Dictionary<string, double> { ["a"] = 50, ["b"] = 50 });
        // R 4.2: chisq.test(c(5000, 5210), p=c(0.5,0.5))
        Golden.Relative(4.3192948090107741, r.ChiSquare);
        Golden.Relative(0.037682535473058901, r.PValue);
        Assert.Equal(1, r.Df);
        Assert.False(r.Mismatch);
        Assert.False(r.Warning);
    }

    [Fact]
    public void Compute_UnequalPlanBelowOnePercent_Warns()
    {
        var r = SampleRatioTest.Compute(Units(("a", 9000), ("b", 1100)), new Dictionary<string, double> { ["a"] = 0.9, ["b"] = 0.1 });
        // R 4.2: chisq.test(c(9000, 1100), p=c(0.9,0.1))$p.value
        Golden.Relative(0.002834749080259393, r.PValue);
        Assert.True(r.Warning);
        Assert.False(r.Mismatch);
    }

    [Fact]
    public void Compute_ThreeArmsWithoutWeights_AssumesEqualSharesAndFlagsMismatch()
    {
        var r = SampleRatioTest.Compute(Units(("a", 3000), ("b", 3100), ("c", 2800)), null);
        // R 4.2: chisq.test(c(3000, 3100, 2800), p=c(1,1,1)/3)
        Golden.Relative(15.730337078651685, r.ChiSquare);
        Golden.Relative(0.00038388461230329924, r.PValue);
        Assert.Equal(2, r.Df);
        Assert.True(r.Mismatch);
        Assert.False(r.WeightsGiven);
    }

    [Fact]
    public void Compute_GrossMismatch_KeepsTinyPValue()
    {
        var r = SampleRatioTest.Compute(Units(("a", 50000), ("b", 60000)), new Dictionary<string, double> { ["a"] = 1, ["b"] = 1 });
        // R 4.2: chisq.test(c(50000, 60000), p=c(0.5,0.5))$p.value
        Golden.Relative(1.0365190862301758e-199, r.PValue);
    }

    [Fact]
    public void Compute_ArmMissingFromWeights_ReturnsReasonNamingIt()
    {
        var r = SampleRatioTest.Compute(Units(("a", 10), ("b", 10), ("rogue", 3)), new Dictionary<string, double> { ["a"] = 1, ["b"] = 1 });
        Assert.Equal(UninformativeReason.ArmNotInWeights, r.Reason);
        Assert.Equal("rogue", r.ReasonDetail);
        Assert.Null(r.PValue);
    }

    [Fact]
    public void Compute_PlannedArmWithNoUnits_CountsAsZeroAndMismatches()
    {
        var r = SampleRatioTest.Compute(Units(("a", 1000)), new Dictionary<string, double> { ["a"] = 1, ["b"] = 1 });
        Assert.True(r.Mismatch);
        Assert.Equal(1000.0, r.ChiSquare!.Value, 9);
    }

    [Fact]
    public void Compute_NoUnits_ReturnsNoData()
    {
        Assert.Equal(UninformativeReason.NoData, SampleRatioTest.Compute(Units(), new Dictionary<string, double> { ["a"] = 1, ["b"] = 1 }).Reason);
    }
}
