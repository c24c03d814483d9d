namespace Verdict.Reports.Tests;

public sealed class FormatTests
{
    [Theory]
    [InlineData(0.031, "+3.1 pts")]
    [InlineData(-0.0249, "−2.5 pts")]
    [InlineData(0.0, "0.0 pts")]
    public void Points_AreSignedPercentagePoints(double diff, string expected) => Assert.Equal(expected, Format.Points(diff));

    [Theory]
    [InlineData(-0.066, "−6.6%")]
    [InlineData(0.125, "+12.5%")]
    public void Relative_IsASignedPercentage(double rel, string expected) => Assert.Equal(expected, Format.Relative(rel));

    [Theory]
    [InlineData(4.25, "4.3 s")]
    [InlineData(42, "42 s")]
    [InlineData(192, "3 min 12 s")]
    [InlineData(5400, "1 h 30 min")]
    public void Duration_IsWrittenForPeople(double seconds, string expected) => Assert.Equal(expected, Format.Duration(seconds));

    [Fact]
    public void SignedDuration_ShowsTheDirection()
    {
        Assert.Equal("−21 s", Format.SignedDuration(-21));
        Assert.Equal("+1 min 5 s", Format.SignedDuration(65));
    }

    [Theory]
    [InlineData(0.0004, "p < 0.001")]
    [InlineData(0.0042, "p = 0.004")]
    [InlineData(0.042, "p = 0.04")]
    [InlineData(0.5, "p = 0.50")]
    public void P_NeverPrintsZero(double p, string expected) => Assert.Equal(expected, Format.P(p));

    [Fact]
    public void Missing_IsADash() => Assert.Equal(("—", "—", "—"), (Format.Percent(null), Format.Points(null), Format.Duration(null)));
}
