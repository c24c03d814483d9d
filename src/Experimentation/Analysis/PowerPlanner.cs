using System.Globalization;
using Verdict.Experimentation.Statistics;

namespace Verdict.Experimentation.Analysis;

/// <summary>What is measured: a rate or a duration.</summary>
public enum PowerMetric
{
    /// <summary>A rate such as accuracy or positive reply rate (R's power.prop.test).</summary>
    Proportion,

    /// <summary>A duration such as handling seconds (R's power.t.test).</summary>
    Duration,
}

/// <summary>A power question: give the effect to get units per arm; give units per arm to get power or the minimum detectable effect.</summary>
/// <param name="Metric">Rate or duration.</param>
/// <param name="Baseline">Control rate (proportions).</param>
/// <param name="StandardDeviation">Standard deviation in seconds (durations).</param>
/// <param name="Effect">Difference to detect: rate points or seconds; its sign is the direction.</param>
/// <param name="UnitsPerArm">Units per arm.</param>
/// <param name="Alpha">Two-sided significance level.</param>
/// <param name="Power">Target power.</param>
public sealed record PowerQuestion(PowerMetric Metric, double? Baseline, double? StandardDeviation, double? Effect, double? UnitsPerArm, double Alpha, double Power);

/// <summary>The answer to a <see cref="PowerQuestion"/>.</summary>
/// <param name="UnitsPerArm">Units per arm (rounded up when computed).</param>
/// <param name="Power">Power at that size.</param>
/// <param name="Effect">The effect (given, or the minimum detectable one).</param>
/// <param name="Summary">One sentence.</param>
public sealed record PowerAnswer(double UnitsPerArm, double Power, double Effect, string Summary);

/// <summary>Validates a power question and answers it.</summary>
public static class PowerPlanner
{
    /// <summary>Answers the question.</summary>
    /// <exception cref="ArgumentException">A value is missing or out of range; the message names the option.</exception>
    public static PowerAnswer Plan(PowerQuestion question)
    {
        ArgumentNullException.ThrowIfNull(question);
        var q = question;
        Require(q.Alpha is > 0 and < 1, "--alpha must be in (0, 1)");
        Require(q.Power is > 0 and < 1, "--power must be in (0, 1)");
        Require(q.UnitsPerArm is null or >= 2, "--n must be at least 2");
        Require(q.Effect is not null || q.UnitsPerArm is not null, "give --effect (to get units per arm) or --n (to get the minimum detectable effect)");
        Require(q.Effect is null or not 0, "--effect must not be 0");
        var c = CultureInfo.InvariantCulture;
        if (q.Metric == PowerMetric.Proportion)
        {
            Require(q.Baseline is > 0 and < 1, "--baseline must be a rate in (0, 1)");
            double p1 = q.Baseline!.Value;
            if (q.Effect is double e)
            {
                double p2 = p1 + e;
                Require(p2 is > 0 and < 1, "--baseline + --effect must stay in (0, 1)");
                if (q.UnitsPerArm is double given)
                {
                    double pw = PowerAnalysis.ProportionPower(given, p1, p2, q.Alpha);
                    return new PowerAnswer(given, pw, e, string.Create(c, $"With {given:N0} units per arm, a change from {p1:P1} to {p2:P1} is detected with power {pw:P1}."));
                }
                double n = Math.Ceiling(PowerAnalysis.ProportionSampleSize(p1, p2, q.Alpha, q.Power));
                return new PowerAnswer(n, PowerAnalysis.ProportionPower(n, p1, p2, q.Alpha), e,
                    string.Create(c, $"{n:N0} units per arm detect a change from {p1:P1} to {p2:P1} with power {q.Power:P0} at alpha {q.Alpha}."));
            }
            double units = q.UnitsPerArm!.Value;
            double mde = PowerAnalysis.ProportionMinimumDetectable(p1, units, q.Alpha, q.Power) - p1;
            return new PowerAnswer(units, q.Power, mde, string.Create(c, $"With {units:N0} units per arm, the smallest increase detected with power {q.Power:P0} is {mde * 100:0.00} points (from {p1:P1})."));
        }

        Require(q.StandardDeviation is > 0, "--sd must be positive");
        double sd = q.StandardDeviation!.Value;
        if (q.Effect is double d)
        {
            if (q.UnitsPerArm is double given)
            {
                double pw = PowerAnalysis.MeanPower(given, d, sd, q.Alpha);
                return new PowerAnswer(given, pw, d, string.Create(c, $"With {given:N0} units per arm, a {d:0.##} s difference (sd {sd:0.##} s) is detected with power {pw:P1}."));
            }
            double n = Math.Ceiling(PowerAnalysis.MeanSampleSize(d, sd, q.Alpha, q.Power));
            return new PowerAnswer(n, PowerAnalysis.MeanPower(n, d, sd, q.Alpha), d,
                string.Create(c, $"{n:N0} units per arm detect a {d:0.##} s difference (sd {sd:0.##} s) with power {q.Power:P0} at alpha {q.Alpha}."));
        }
        double u = q.UnitsPerArm!.Value;
        double delta = PowerAnalysis.MeanMinimumDetectable(u, sd, q.Alpha, q.Power);
        return new PowerAnswer(u, q.Power, delta, string.Create(c, $"With {u:N0} units per arm, the smallest difference detected with power {q.Power:P0} is {delta:0.##} s (sd {sd:0.##} s)."));
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}
