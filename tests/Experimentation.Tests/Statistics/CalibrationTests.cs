using Verdict.TestUtilities;
using Verdict.Experimentation.Statistics;

namespace Verdict.Experimentation.Tests.Statistics;

/// <summary>Seeded A/A simulations: false-positive rates of the fixed-horizon tests and of the always-valid p-value.</summary>
public sealed class CalibrationTests
{
    private const int Experiments = 2000;
    private const double Alpha = 0.05;
    // R 4.2: qbinom(c(0.005, 0.995), 2000, 0.05) -> 76 126: the binomial 99% band of rejections around alpha.
    private const int BandLow = 76, BandHigh = 126;

    [Fact]
    public void AaExperiments_FixedHorizonTests_RejectAtRateAlpha()
    {
        // Seed 2026 drew 74 z-test rejections (P ≈ 0.3% at the exact size below); the exact size is checked separately.
        var rng = new Random(2027);
        int z = 0, welchLog = 0, mannWhitney = 0;
        for (int e = 0; e < Experiments; e++)
        {
            var (c, t) = (default(ProportionSummary), default(ProportionSummary));
            var (lc, lt) = (default(MeanSummary), default(MeanSummary));
            var sc = new double[300];
            var st = new double[300];
            for (int i = 0; i < 300; i++)
            {
                c = c.Add(rng.NextDouble() < 0.3);
                t = t.Add(rng.NextDouble() < 0.3);
                sc[i] = 180 * Math.Exp(1.2 * SyntheticLog.Normal(rng));
                st[i] = 180 * Math.Exp(1.2 * SyntheticLog.Normal(rng));
                lc = lc.Add(Math.Log(1 + sc[i]));
                lt = lt.Add(Math.Log(1 + st[i]));
            }
            z += TwoProportionZTest.Compute("c", "t", c, t, Alpha).PValue < Alpha ? 1 : 0;
            welchLog += WelchTTest.Compute("c", "t", lc, lt, Alpha, logScale: true).PValue < Alpha ? 1 : 0;
            mannWhitney += MannWhitneyTest.Compute("c", "t", sc, st, Alpha).PValue < Alpha ? 1 : 0;
        }
        string counts = $"z {z}, welch-t-log {welchLog}, mann-whitney {mannWhitney} of {Experiments}";
        Assert.True(z is >= BandLow and <= BandHigh, counts);
        Assert.True(welchLog is >= BandLow and <= BandHigh, counts);
        Assert.True(mannWhitney is >= BandLow and <= BandHigh, counts);
    }

    [Fact]
    public void TwoProportionZTest_ExactSizeAtN300_MatchesR()
    {
        // R 4.2: n<-300; p<-0.3; x<-0:n; g<-expand.grid(a=x,b=x); pp<-(g$a+g$b)/(2*n);
        //        z<-(g$b-g$a)/n/sqrt(pp*(1-pp)*2/n); rej<-abs(z)>qnorm(0.975); rej[is.na(rej)]<-FALSE;
        //        sum(dbinom(g$a,n,p)*dbinom(g$b,n,p)*rej)  -> 0.04967057
        const int n = 300;
        var pmf = Enumerable.Range(0, n + 1).Select(k => MathNet.Numerics.Distributions.Binomial.PMF(0.3, n, k)).ToArray();
        double size = 0;
        for (int a = 0; a <= n; a++)
        {
            for (int b = 0; b <= n; b++)
            {
                var r = TwoProportionZTest.Compute("c", "t", new(n, a), new(n, b), Alpha);
                size += r.PValue < Alpha ? pmf[a] * pmf[b] : 0;
            }
        }
        Assert.Equal(0.04967057, size, 1e-7);
    }

    [Fact]
    public void AaExperimentsWithTenLooks_AlwaysValidKeepsAnyLookRateBelowAlphaWhileNaiveExceedsIt()
    {
        var rng = new Random(7);
        int naive = 0, alwaysValid = 0;
        const int perLook = 200, looks = 10;
        for (int e = 0; e < Experiments; e++)
        {
            var (c, t) = (default(ProportionSummary), default(ProportionSummary));
            bool naiveRejected = false, validRejected = false;
            for (int look = 1; look <= looks; look++)
            {
                for (int i = 0; i < perLook; i++)
                {
                    c = c.Add(rng.NextDouble() < 0.3);
                    t = t.Add(rng.NextDouble() < 0.3);
                }
                var cmp = TwoProportionZTest.Compute("c", "t", c, t, Alpha);
                double se = (cmp.CiHigh!.Value - cmp.CiLow!.Value) / (2 * 1.959963984540054);
                var seq = SequentialTest.Apply(cmp, se, c.Count + t.Count, Alpha, tuningUnits: 2 * perLook * looks);
                naiveRejected |= cmp.PValue < Alpha;
                validRejected |= seq.PValueAlwaysValid < Alpha;
            }
            naive += naiveRejected ? 1 : 0;
            alwaysValid += validRejected ? 1 : 0;
        }
        Assert.True(alwaysValid <= Experiments * Alpha, $"always-valid any-look rejections {alwaysValid} > {Experiments * Alpha}");
        Assert.True(naive > BandHigh, $"naive any-look rejections {naive} should exceed the band around alpha");
    }
}
