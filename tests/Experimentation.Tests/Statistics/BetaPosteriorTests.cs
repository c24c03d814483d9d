using Verdict.Experimentation.Statistics;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Statistics;

public sealed class BetaPosteriorTests
{
    // Monte Carlo with 200,000 draws: standard error ≤ 0.0011; tolerances are about 4 standard errors.
    [Fact]
    public void Compute_TwoArms_MatchesNumericalIntegrationInR()
    {
        var r = BetaPosterior.Compute(["a", "b"], [new(1000, 120), new(1000, 150)], seed: 42);
        // R 4.2: integrate(function(x) dbeta(x,151,851)*pbeta(x,121,881), 0, 1, rel.tol=1e-12)
        Golden.Absolute(0.97506783681214426, r[1].ProbabilityBest, 0.002);
        Golden.Absolute(1 - 0.97506783681214426, r[0].ProbabilityBest, 0.002);
        // R: loss <- function(a1,b1,a2,b2) integrate(function(y) dbeta(y,a2,b2)*(y*pbeta(y,a1,b1) - a1/(a1+b1)*pbeta(y,a1+1,b1)), 0, 1, rel.tol=1e-12)
        //    loss(121,881,151,851); loss(151,851,121,881)
        Golden.Absolute(0.030084297615590883, r[0].ExpectedLoss, 0.0003);
        Golden.Absolute(0.00014417785511183244, r[1].ExpectedLoss, 0.00003);
    }

    [Fact]
    public void Compute_ThreeArms_MatchesNumericalIntegrationInR()
    {
        var r = BetaPosterior.Compute(["a", "b", "c"], [new(100, 30), new(100, 25), new(100, 28)], seed: 1);
        // R 4.2: integrate(function(x) dbeta(x,31,71)*pbeta(x,26,76)*pbeta(x,29,73), 0, 1, rel.tol=1e-12)
        Golden.Absolute(0.54678586820309349, r[0].ProbabilityBest, 0.005);
        Assert.Equal(1.0, r.Sum(a => a.ProbabilityBest), 9);
    }

    [Fact]
    public void Compute_SameSeed_SameNumbers()
    {
        var a = BetaPosterior.Compute(["a", "b"], [new(50, 10), new(50, 12)], seed: 9, draws: 10_000);
        var b = BetaPosterior.Compute(["a", "b"], [new(50, 10), new(50, 12)], seed: 9, draws: 10_000);
        Assert.Equal(a, b);
    }
}
