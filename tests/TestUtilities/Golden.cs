using Xunit;

namespace Verdict.TestUtilities;

/// <summary>Comparisons against golden values computed with R or scipy.</summary>
public static class Golden
{
    /// <summary>Asserts |actual − expected| ≤ tolerance·|expected| (absolute when expected is 0).</summary>
    public static void Relative(double expected, double? actual, double tolerance = 1e-6)
    {
        Assert.NotNull(actual);
        double error = Math.Abs(actual!.Value - expected);
        double bound = expected == 0 ? tolerance : tolerance * Math.Abs(expected);
        Assert.True(error <= bound, $"expected {expected:R}, got {actual.Value:R} (relative error {error / Math.Abs(expected == 0 ? 1 : expected):E2} > {tolerance:E0})");
    }

    /// <summary>Asserts |actual − expected| ≤ tolerance.</summary>
    public static void Absolute(double expected, double? actual, double tolerance)
    {
        Assert.NotNull(actual);
        Assert.True(Math.Abs(actual!.Value - expected) <= tolerance, $"expected {expected:R} ± {tolerance:E1}, got {actual.Value:R}");
    }
}
