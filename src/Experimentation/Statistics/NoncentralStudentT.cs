using MathNet.Numerics;
using MathNet.Numerics.Distributions;

namespace Verdict.Experimentation.Statistics;

/// <summary>
/// Lower-tail CDF of the noncentral t distribution, by Lenth's algorithm AS 243 with the same series,
/// error bound (1e-12) and large-df normal approximation as R's <c>pt(q, df, ncp)</c>, so that power
/// figures agree with <c>power.t.test</c>.
/// </summary>
internal static class NoncentralStudentT
{
    private const double ErrorMax = 1e-12;
    private const int IterationMax = 1000;
    private const double LnSqrtPi = 0.572364942924700087071713675677;
    private const double Sqrt2OverPi = 0.797884560802865355879892119869;

    public static double Cdf(double t, double df, double ncp)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(df);
        if (ncp == 0)
        {
            return StudentT.CDF(0, 1, df, t);
        }
        if (double.IsInfinity(t))
        {
            return t < 0 ? 0 : 1;
        }

        bool negate;
        double tt, del;
        if (t >= 0)
        {
            negate = false;
            tt = t;
            del = ncp;
        }
        else
        {
            if (ncp > 40)
            {
                return 0;
            }
            negate = true;
            tt = -t;
            del = -ncp;
        }

        if (df > 4e5 || del * del > 2 * Math.Log(2) * 1021)
        {
            // Abramowitz & Stegun 26.7.10.
            double s4 = 1 / (4 * df);
            double z = Normal.CDF(del, Math.Sqrt(1 + (tt * tt * 2 * s4)), tt * (1 - s4));
            return negate ? 1 - z : z;
        }

        double x = t * t;
        double rxb = df / (x + df);
        x /= x + df;
        double tnc;
        if (x > 0)
        {
            double lambda = del * del;
            double p = 0.5 * Math.Exp(-0.5 * lambda);
            if (p == 0)
            {
                return negate ? 1 : 0;
            }
            double q = Sqrt2OverPi * p * del;
            double s = 0.5 - p;
            if (s < 1e-7)
            {
                s = -0.5 * SpecialFunctions.Expm1(-0.5 * lambda);
            }
            double a = 0.5;
            double b = 0.5 * df;
            rxb = Math.Pow(rxb, b);
            double albeta = LnSqrtPi + SpecialFunctions.GammaLn(b) - SpecialFunctions.GammaLn(0.5 + b);
            double xodd = SpecialFunctions.BetaRegularized(a, b, x);
            double godd = 2 * rxb * Math.Exp((a * Math.Log(x)) - albeta);
            tnc = b * x;
            double xeven = tnc < 2.220446049250313e-16 ? tnc : 1 - rxb;
            double geven = tnc * rxb;
            tnc = (p * xodd) + (q * xeven);
            for (int it = 1; it <= IterationMax; it++)
            {
                a += 1;
                xodd -= godd;
                xeven -= geven;
                godd *= x * (a + b - 1) / a;
                geven *= x * (a + b - 0.5) / (a + 0.5);
                p *= lambda / (2 * it);
                q *= lambda / ((2 * it) + 1);
                tnc += (p * xodd) + (q * xeven);
                s -= p;
                if (s < -1e-10 || (s <= 0 && it > 1))
                {
                    break;
                }
                double errbd = 2 * s * (xodd - godd);
                if (Math.Abs(errbd) < ErrorMax)
                {
                    break;
                }
            }
        }
        else
        {
            tnc = 0;
        }

        tnc += Normal.CDF(0, 1, -del);
        double result = Math.Min(tnc, 1);
        return negate ? 1 - result : result;
    }
}
