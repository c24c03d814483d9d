namespace Verdict.Experimentation.Statistics;

/// <summary>
/// Power and sample size for two arms of equal size, two-sided, matching R's <c>power.prop.test</c> and
/// <c>power.t.test</c> (two-sample, <c>strict = FALSE</c>: only the tail in the effect's direction counts).
/// </summary>
/// <remarks>
/// Sample sizes are continuous (round up to plan). R solves with <c>uniroot</c> at a tolerance of about 1e-4;
/// the proportion sample size here is the closed-form root of the same power equation, and the others are
/// bisections to 1e-10, so results agree with R to R's own tolerance.
/// </remarks>
internal static class PowerAnalysis
{
    public static double ProportionPower(double n, double p1, double p2, double alpha)
    {
        double q1 = 1 - p1, q2 = 1 - p2;
        double z = Tails.NormalCritical(alpha);
        return Tails.NormalUpper(-((Math.Sqrt(n) * Math.Abs(p1 - p2)) - (z * Math.Sqrt((p1 + p2) * (q1 + q2) / 2))) / Math.Sqrt((p1 * q1) + (p2 * q2)));
    }

    public static double ProportionSampleSize(double p1, double p2, double alpha, double power)
    {
        double q1 = 1 - p1, q2 = 1 - p2;
        double za = Tails.NormalCritical(alpha);
        double zb = Tails.NormalQuantile(power);
        double root = ((za * Math.Sqrt((p1 + p2) * (q1 + q2) / 2)) + (zb * Math.Sqrt((p1 * q1) + (p2 * q2)))) / Math.Abs(p1 - p2);
        return root * root;
    }

    /// <summary>The rate p2 above (or below) p1 detectable with the given power at n per arm.</summary>
    public static double ProportionMinimumDetectable(double p1, double n, double alpha, double power, bool increase = true)
    {
        double lo = p1, hi = increase ? 1 : 0;
        return Bisect(p2 => ProportionPower(n, p1, p2, alpha) - power, lo, hi);
    }

    public static double MeanPower(double n, double delta, double sd, double alpha)
    {
        double df = 2 * (n - 1);
        double crit = Tails.StudentTCritical(alpha, df);
        double ncp = Math.Sqrt(n / 2) * Math.Abs(delta) / sd;
        return 1 - NoncentralStudentT.Cdf(crit, df, ncp);
    }

    public static double MeanSampleSize(double delta, double sd, double alpha, double power) =>
        Bisect(n => MeanPower(n, delta, sd, alpha) - power, 2, 1e7);

    public static double MeanMinimumDetectable(double n, double sd, double alpha, double power) =>
        Bisect(d => MeanPower(n, d, sd, alpha) - power, sd * 1e-7, sd * 1e7);

    /// <summary>Root of an increasing-or-decreasing function with a sign change on [a, b].</summary>
    private static double Bisect(Func<double, double> f, double a, double b)
    {
        double fa = f(a);
        for (int i = 0; i < 200; i++)
        {
            double mid = (a + b) / 2;
            double fm = f(mid);
            if (fm == 0 || Math.Abs(b - a) <= 1e-12 * Math.Max(1, Math.Abs(mid)))
            {
                return mid;
            }
            if (Math.Sign(fm) == Math.Sign(fa))
            {
                a = mid;
                fa = fm;
            }
            else
            {
                b = mid;
            }
        }
        return (a + b) / 2;
    }
}
