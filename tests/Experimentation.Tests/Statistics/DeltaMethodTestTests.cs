using Verdict.Experimentation.Statistics;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Statistics;

public sealed class DeltaMethodTestTests
{
    private static RatioSummary Of(double[] x, double[] y)
    {
        var s = default(RatioSummary);
        for (int i = 0; i < x.Length; i++)
        {
            s = s.Add(x[i], y[i]);
        }
        return s;
    }

    [Fact]
    public void Compute_SeveralEmailsPerUnit_MatchesDeltaMethodInR()
    {
        // Correct emails (x) over labelled emails (y) per unit.
        var c = Of([1, 2, 0, 3, 1, 2, 1, 0, 2, 4], [2, 2, 1, 4, 1, 3, 2, 1, 2, 5]);
        var t = Of([2, 2, 1, 3, 2, 2, 1, 1, 3, 4, 2], [2, 3, 1, 3, 2, 2, 2, 1, 3, 5, 2]);
        var r = DeltaMethodTest.Compute("c", "t", c, t, 0.05);
        // R 4.2: dm <- function(x,y){n<-length(x); mx<-mean(x); my<-mean(y);
        //          c(mx/my, (var(x)/my^2 - 2*mx*cov(x,y)/my^3 + mx^2*var(y)/my^4)/n)}
        //        a <- dm(cx,cy); b <- dm(tx,ty); d <- b[1]-a[1]; se <- sqrt(a[2]+b[2])
        Golden.Relative(0.0051140151411376844, DeltaMethodTest.RatioVariance(c));
        Golden.Relative(0.0027296838345996248, DeltaMethodTest.RatioVariance(t));
        Golden.Relative(0.1889632107023410112, r.Diff);
        Golden.Relative(2.1336186578893565624, r.Statistic);
        // R: 2*pnorm(-abs(d/se)); d + c(-1,1)*qnorm(0.975)*se
        Golden.Relative(0.0328740094215533227, r.PValue);
        Golden.Relative(0.0153796670779076938, r.CiLow);
        Golden.Relative(0.3625467543267743009, r.CiHigh);
    }

    [Fact]
    public void Compute_ZeroDenominator_ReturnsReason()
    {
        var r = DeltaMethodTest.Compute("c", "t", Of([0, 0], [0, 0]), Of([1, 1], [1, 2]), 0.05);
        Assert.Equal(UninformativeReason.ZeroDenominator, r.Reason);
    }

    [Fact]
    public void Compute_SingleUnit_ReturnsTooFewObservations()
    {
        Assert.Equal(UninformativeReason.TooFewObservations, DeltaMethodTest.Compute("c", "t", Of([1], [1]), Of([1, 0], [1, 1]), 0.05).Reason);
    }
}
