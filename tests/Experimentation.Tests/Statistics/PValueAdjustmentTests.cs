using Verdict.Experimentation.Statistics;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Statistics;

public sealed class PValueAdjustmentTests
{
    private static readonly double?[] P = [0.01, 0.04, 0.03, 0.20, 0.0005];

    [Fact]
    public void Holm_MatchesRPAdjust()
    {
        // R 4.2: p.adjust(c(0.01, 0.04, 0.03, 0.20, 0.0005), "holm")
        double[] expected = [0.04, 0.09, 0.09, 0.20, 0.0025];
        var actual = PValueAdjustment.Holm(P);
        for (int i = 0; i < expected.Length; i++)
        {
            Golden.Relative(expected[i], actual[i], 1e-12);
        }
    }

    [Fact]
    public void BenjaminiHochberg_MatchesRPAdjust()
    {
        // R 4.2: p.adjust(c(0.01, 0.04, 0.03, 0.20, 0.0005), "BH")
        double[] expected = [0.025, 0.05, 0.05, 0.20, 0.0025];
        var actual = PValueAdjustment.BenjaminiHochberg(P);
        for (int i = 0; i < expected.Length; i++)
        {
            Golden.Relative(expected[i], actual[i], 1e-12);
        }
    }

    [Fact]
    public void Holm_NullEntries_StayNullAndLeaveTheFamily()
    {
        var actual = PValueAdjustment.Holm([0.01, null, 0.04]);
        Assert.Null(actual[1]);
        // R 4.2: p.adjust(c(0.01, NA, 0.04), "holm") -> 0.02 NA 0.04
        Golden.Relative(0.02, actual[0], 1e-12);
        Golden.Relative(0.04, actual[2], 1e-12);
    }
}
