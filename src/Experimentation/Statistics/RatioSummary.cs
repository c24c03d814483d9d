namespace Verdict.Experimentation.Statistics;

/// <summary>
/// Mergeable sufficient statistics of a unit-level ratio metric Σx / Σy (for example correct emails over
/// labelled emails, per randomization unit): unit count, the means of x and y and their co-moments.
/// </summary>
/// <param name="Units">Number of units.</param>
/// <param name="MeanX">Mean numerator per unit.</param>
/// <param name="MeanY">Mean denominator per unit.</param>
/// <param name="M2X">Sum of squared deviations of x.</param>
/// <param name="M2Y">Sum of squared deviations of y.</param>
/// <param name="CXY">Sum of cross deviations of x and y.</param>
public readonly record struct RatioSummary(long Units, double MeanX, double MeanY, double M2X, double M2Y, double CXY)
{
    /// <summary>The ratio of means, Σx / Σy; null when there is no denominator.</summary>
    public double? Ratio => Units > 0 && MeanY != 0 ? MeanX / MeanY : null;

    /// <summary>Returns this summary with one more unit.</summary>
    public RatioSummary Add(double x, double y)
    {
        long n = Units + 1;
        double dx = x - MeanX;
        double dy = y - MeanY;
        double meanX = MeanX + (dx / n);
        double meanY = MeanY + (dy / n);
        return new RatioSummary(n, meanX, meanY, M2X + (dx * (x - meanX)), M2Y + (dy * (y - meanY)), CXY + (dx * (y - meanY)));
    }

    /// <summary>Merges two summaries of disjoint sets of units.</summary>
    public static RatioSummary operator +(RatioSummary left, RatioSummary right)
    {
        if (left.Units == 0)
        {
            return right;
        }
        if (right.Units == 0)
        {
            return left;
        }
        long n = left.Units + right.Units;
        double w = (double)left.Units * right.Units / n;
        double dx = right.MeanX - left.MeanX;
        double dy = right.MeanY - left.MeanY;
        return new RatioSummary(
            n,
            left.MeanX + (dx * right.Units / n),
            left.MeanY + (dy * right.Units / n),
            left.M2X + right.M2X + (dx * dx * w),
            left.M2Y + right.M2Y + (dy * dy * w),
            left.CXY + right.CXY + (dx * dy * w));
    }

    /// <summary>Merges two summaries of disjoint sets of units.</summary>
    public static RatioSummary Add(RatioSummary left, RatioSummary right) => left + right;
}
