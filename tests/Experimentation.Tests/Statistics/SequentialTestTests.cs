using Verdict.Experimentation.Statistics;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Statistics;

public sealed class SequentialTestTests
{
    // R 4.2: sq <- function(d, se, N, alpha, Ns){ l <- -2*log(alpha); r2 <- (l+log(l+1))/Ns; nr2 <- N*r2; z <- d/se;
    //          p <- min(1, sqrt(1+nr2)*exp(-z^2/2*nr2/(1+nr2))); h <- se*sqrt(2*(nr2+1)/nr2*log(sqrt(nr2+1)/alpha)); c(p, d-h, d+h)}
    [Theory]
    // R: sq(0.02, 0.008, 10000, 0.05, 10000)
    [InlineData(10000, 0.1863284454398279610, -0.0042816719230100268, 0.0442816719230100242)]
    // R: sq(0.02, 0.008, 2000, 0.05, 10000)
    [InlineData(2000, 0.2364896480545915503, -0.0069111018062622473, 0.0469111018062622481)]
    public void Apply_MatchesMixtureBoundaryFormula(long units, double p, double low, double high)
    {
        var c = new Comparison { Control = "c", Treatment = "t", Test = "x", Diff = 0.02, PValue = 0.0124 };
        var r = SequentialTest.Apply(c, 0.008, units, 0.05, 10000);
        Golden.Relative(p, r.PValueAlwaysValid);
        Golden.Relative(low, r.CsLow);
        Golden.Relative(high, r.CsHigh);
    }

    [Fact]
    public void Apply_AlwaysValidPValueIsBelowAlphaExactlyWhenSequenceExcludesZero()
    {
        for (double diff = 0.0; diff < 0.06; diff += 0.001)
        {
            var r = SequentialTest.Apply(new Comparison { Control = "c", Treatment = "t", Test = "x", Diff = diff }, 0.008, 5000, 0.05, 10000);
            bool excludes = r.CsLow > 0 || r.CsHigh < 0;
            Assert.Equal(excludes, r.PValueAlwaysValid < 0.05);
        }
    }

    [Fact]
    public void Apply_UninformativeComparison_IsLeftAlone()
    {
        var c = new Comparison { Control = "c", Treatment = "t", Test = "x", Reason = UninformativeReason.ZeroVariance };
        Assert.Null(SequentialTest.Apply(c, 0.01, 100, 0.05, 1000).PValueAlwaysValid);
    }
}
