using MathNet.Numerics;
using MathNet.Numerics.Distributions;

namespace Verdict.Experimentation.Statistics;

/// <summary>
/// Tail probabilities taken from survival functions, so that p-values far below 1e-16 keep their value
/// instead of becoming 1 − 1 = 0.
/// </summary>
internal static class Tails
{
    public static double NormalTwoSided(double z) => Math.Min(1, 2 * Normal.CDF(0, 1, -Math.Abs(z)));

    public static double NormalUpper(double z) => Normal.CDF(0, 1, -z);

    public static double NormalQuantile(double p) => Normal.InvCDF(0, 1, p);

    /// <summary>z such that P(|Z| &gt; z) = alpha.</summary>
    public static double NormalCritical(double alpha) => -Normal.InvCDF(0, 1, alpha / 2);

    public static double StudentTTwoSided(double t, double df) => Math.Min(1, 2 * StudentT.CDF(0, 1, df, -Math.Abs(t)));

    public static double StudentTCritical(double alpha, double df) => -StudentT.InvCDF(0, 1, df, alpha / 2);

    public static double ChiSquareUpper(double statistic, double df) =>
        statistic <= 0 ? 1 : SpecialFunctions.GammaUpperRegularized(df / 2, statistic / 2);
}
