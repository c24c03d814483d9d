using Verdict.Experimentation.Statistics;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Statistics;

public sealed class ChiSquareIndependenceTestTests
{
    [Fact]
    public void Compute_ThreeTemplates_MatchesRChisqTestWithoutYates()
    {
        var r = ChiSquareIndependenceTest.Compute([new(1000, 120), new(1000, 150), new(1000, 95)], 0.05);
        // R 4.2: chisq.test(matrix(c(120, 880, 150, 850, 95, 905), ncol=2, byrow=TRUE), correct=FALSE)
        Golden.Relative(1.4192508642873852e+01, r.Statistic);
        Golden.Relative(8.2820129647844757e-04, r.PValue);
        Assert.Equal(2, r.Df);
        Assert.True(r.Significant);
    }

    [Fact]
    public void Compute_NoSuccessesAnywhere_ReturnsZeroVariance()
    {
        Assert.Equal(UninformativeReason.ZeroVariance, ChiSquareIndependenceTest.Compute([new(10, 0), new(12, 0)], 0.05).Reason);
    }

    [Fact]
    public void Compute_EmptyArm_ReturnsEmptyArm()
    {
        Assert.Equal(UninformativeReason.EmptyArm, ChiSquareIndependenceTest.Compute([new(10, 3), new(0, 0)], 0.05).Reason);
    }
}
