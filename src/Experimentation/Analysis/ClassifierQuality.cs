using MathNet.Numerics.Distributions;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Statistics;

namespace Verdict.Experimentation.Analysis;

/// <summary>
/// Classifier-native quality per arm from the labelled emails: per-intent recall and precision (Wilson intervals),
/// macro-F1 and the expected calibration error (seeded Poisson bootstrap), the top-label Brier score (t interval)
/// and the confusion matrix.
/// </summary>
/// <remarks>
/// The bootstrap gives every labelled email a Poisson(1) weight, which for a cell of the confusion matrix (or of
/// the calibration table) holding c emails is one Poisson(c) draw: a replicate costs one draw per non-empty cell,
/// whatever the number of emails. Emails are the resampled units, so when units have several emails the
/// intervals are somewhat narrow (docs/analyze.md).
/// </remarks>
internal static class ClassifierQuality
{
    public const int Replicates = 400;

    public static ClassificationResult? Compute(ExperimentObservations obs, double alpha, int seed)
    {
        int k = obs.Intents.Count;
        if (k == 0 || obs.Arms.All(a => a.Accuracy.Count == 0))
        {
            return null;
        }
        // The intents that occur, true or predicted, in some arm, by name: one order for every arm's matrix, whatever order
        // the log (or merged partial aggregates) met them in, so the bootstrap's draws do not depend on it.
        var used = Enumerable.Range(0, k).Where(i => obs.Arms.Any(a => Row(a, i, k) > 0 || Column(a, i, k) > 0)).OrderBy(i => obs.Intents[i], StringComparer.Ordinal).ToArray();
        double z = Tails.NormalCritical(alpha);
        var arms = new List<ArmClassification>();
        for (int a = 0; a < obs.Arms.Count; a++)
        {
            var arm = obs.Arms[a];
            var matrix = used.Select(t => used.Select(p => arm.Confusion[(t * k) + p]).ToArray()).ToArray();
            var rng = new Random(unchecked((seed * 31) + a));
            arms.Add(new ArmClassification
            {
                Name = arm.Name,
                Labelled = arm.Accuracy.Count,
                Intents = [.. used.Select((t, i) => Intent(obs.Intents[t], matrix, i, z))],
                Confusion = matrix,
                MacroF1 = MacroF1Interval(matrix, alpha, rng),
                Calibration = Calibrate(arm, alpha, rng),
            });
        }
        return new ClassificationResult([.. used.Select(i => obs.Intents[i])], arms);
    }

    private static long Row(ArmObservations a, int t, int k)
    {
        long sum = 0;
        for (int p = 0; p < k; p++)
        {
            sum += a.Confusion[(t * k) + p];
        }
        return sum;
    }

    private static long Column(ArmObservations a, int p, int k)
    {
        long sum = 0;
        for (int t = 0; t < k; t++)
        {
            sum += a.Confusion[(t * k) + p];
        }
        return sum;
    }

    private static IntentQuality Intent(string name, long[][] matrix, int i, double z)
    {
        long correct = matrix[i][i], support = matrix[i].Sum(), predicted = matrix.Sum(row => row[i]);
        return new IntentQuality(name, support, predicted, Rate(correct, support, z), Rate(correct, predicted, z), F1(correct, support, predicted));
    }

    private static Estimate Rate(long successes, long n, double z)
    {
        if (n == 0)
        {
            return new Estimate(null, null, null, UninformativeReason.EmptyArm);
        }
        var (low, high) = TwoProportionZTest.Wilson(successes, n, z);
        return new Estimate((double)successes / n, low, high);
    }

    /// <summary>2·correct / (support + predicted): the harmonic mean of recall and precision, 0 when either is undefined.</summary>
    private static double F1(double correct, double support, double predicted) => support + predicted == 0 ? 0 : 2 * correct / (support + predicted);

    /// <summary>Macro-F1 over the intents true or predicted in this matrix.</summary>
    private static double? MacroF1(double[][] m)
    {
        int n = m.Length;
        double sum = 0;
        int labels = 0;
        for (int i = 0; i < n; i++)
        {
            double support = 0, predicted = 0;
            for (int j = 0; j < n; j++)
            {
                support += m[i][j];
                predicted += m[j][i];
            }
            if (support + predicted > 0)
            {
                sum += F1(m[i][i], support, predicted);
                labels++;
            }
        }
        return labels == 0 ? null : sum / labels;
    }

    private static Estimate MacroF1Interval(long[][] matrix, double alpha, Random rng)
    {
        var observed = matrix.Select(r => r.Select(v => (double)v).ToArray()).ToArray();
        if (MacroF1(observed) is not double value)
        {
            return new Estimate(null, null, null, UninformativeReason.EmptyArm);
        }
        var replicate = observed.Select(r => new double[r.Length]).ToArray();
        var draws = new double[Replicates];
        for (int b = 0; b < Replicates; b++)
        {
            for (int i = 0; i < observed.Length; i++)
            {
                for (int j = 0; j < observed.Length; j++)
                {
                    replicate[i][j] = Resample(observed[i][j], rng);
                }
            }
            draws[b] = MacroF1(replicate) ?? 0;
        }
        return Percentile(value, draws, alpha);
    }

    private static Calibration Calibrate(ArmObservations arm, double alpha, Random rng)
    {
        var bins = arm.Calibration;
        long n = bins.Sum(b => b.Count);
        var table = bins.Select((b, i) => new CalibrationBinResult((double)i / CalibrationBin.Bins, (double)(i + 1) / CalibrationBin.Bins, b.Count,
            b.Count == 0 ? null : b.ConfidenceSum / b.Count, b.Count == 0 ? null : (double)b.Correct / b.Count)).ToList();
        if (n == 0)
        {
            var none = new Estimate(null, null, null, UninformativeReason.EmptyArm);
            return new Calibration { N = 0, Ece = none, Brier = none, Bins = table };
        }
        double ece = Ece(bins.Select(b => (double)b.Correct).ToArray(), bins.Select(b => (double)(b.Count - b.Correct)).ToArray(), bins.Select(b => b.Count == 0 ? 0 : b.ConfidenceSum / b.Count).ToArray())!.Value;
        var draws = new double[Replicates];
        var right = new double[bins.Length];
        var wrong = new double[bins.Length];
        var meanConfidence = bins.Select(b => b.Count == 0 ? 0 : b.ConfidenceSum / b.Count).ToArray();
        for (int b = 0; b < Replicates; b++)
        {
            for (int i = 0; i < bins.Length; i++)
            {
                right[i] = Resample(bins[i].Correct, rng);
                wrong[i] = Resample(bins[i].Count - bins[i].Correct, rng);
            }
            draws[b] = Ece(right, wrong, meanConfidence) ?? 0;
        }
        var brier = arm.Brier;
        Estimate brierEstimate = brier.Variance is double v
            ? new Estimate(brier.Mean, brier.Mean - (Tails.StudentTCritical(alpha, brier.Count - 1) * Math.Sqrt(v / brier.Count)), brier.Mean + (Tails.StudentTCritical(alpha, brier.Count - 1) * Math.Sqrt(v / brier.Count)))
            : new Estimate(brier.Mean, null, null, UninformativeReason.TooFewObservations);
        return new Calibration { N = n, Ece = Percentile(ece, draws, alpha), Brier = brierEstimate, Bins = table };
    }

    /// <summary>Σ (n_b / n)·|accuracy_b − confidence_b|, a bin's mean confidence held at its observed value.</summary>
    private static double? Ece(double[] right, double[] wrong, double[] meanConfidence)
    {
        double n = right.Sum() + wrong.Sum(), sum = 0;
        if (n == 0)
        {
            return null;
        }
        for (int i = 0; i < right.Length; i++)
        {
            double count = right[i] + wrong[i];
            if (count > 0)
            {
                sum += count / n * Math.Abs((right[i] / count) - meanConfidence[i]);
            }
        }
        return sum;
    }

    /// <summary>A cell of c emails, each weighted Poisson(1): one Poisson(c) draw.</summary>
    private static double Resample(double count, Random rng) => count == 0 ? 0 : Poisson.Sample(rng, count);

    /// <summary>The percentile interval of the replicates around the observed value.</summary>
    private static Estimate Percentile(double value, double[] draws, double alpha)
    {
        Array.Sort(draws);
        double Quantile(double q)
        {
            // Type 7 (linear interpolation), as R's quantile() and numpy's default.
            double h = (draws.Length - 1) * q;
            int lo = (int)Math.Floor(h);
            return lo + 1 < draws.Length ? draws[lo] + ((h - lo) * (draws[lo + 1] - draws[lo])) : draws[lo];
        }
        return new Estimate(value, Quantile(alpha / 2), Quantile(1 - (alpha / 2)));
    }
}
