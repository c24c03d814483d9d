using System.Diagnostics;
using Verdict.Training.Encoders;

namespace Verdict.Training;

/// <summary>
/// One model of the learning curve: an architecture trained on a sample of <c>Size</c> training examples (<c>All</c>:
/// the whole training split) drawn with <c>Seed</c>, its accuracy and macro-F1 on the whole test split, and its
/// training time in seconds.
/// </summary>
public sealed record LearningCurvePoint(string Architecture, int Size, bool All, int Seed, double Accuracy, double MacroF1, double Seconds);

/// <summary>The mean and range over seeds of one architecture at one size.</summary>
public sealed record LearningCurveSummary(string Architecture, int Size, bool All, int Seeds, double MeanAccuracy, double MinAccuracy, double MaxAccuracy, double MeanMacroF1);

/// <summary>How many labels each architecture needs: the points and their summary per architecture and size.</summary>
public sealed record LearningCurveResult(
    string DataFile, int TrainExamples, int TestExamples, int Labels, string? Encoder,
    IReadOnlyList<LearningCurvePoint> Points, IReadOnlyList<LearningCurveSummary> Summary);

/// <summary>
/// Trains every architecture on seeded, stratified samples of the training split of growing size and scores each
/// on the whole test split. Samples are nested by seed only through the shared sampler (the same seed and size give
/// the same sample for every architecture), so architectures are compared on the same examples. Sentence vectors are
/// computed once for all models.
/// </summary>
public static class LearningCurve
{
    /// <summary>Runs the curve. <paramref name="sizes"/> holds positive sizes; null stands for the whole training split.</summary>
    public static LearningCurveResult Run(
        TrainingOptions baseOptions, IReadOnlyList<ModelArchitecture> architectures, IReadOnlyList<int?> sizes, int seeds,
        Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(baseOptions);
        ArgumentOutOfRangeException.ThrowIfLessThan(seeds, 1);
        progress ??= _ => { };
        var data = TrainingSet.Load(baseOptions with { MaxTrain = null });
        var needsEncoder = architectures.Any(a => a is ModelArchitecture.Encoder or ModelArchitecture.Hybrid);
        using var embedder = needsEncoder
            ? new SentenceEmbedder(PretrainedEncoder.Find(baseOptions.Encoder) ?? throw new ArgumentException($"unknown encoder '{baseOptions.Encoder}'.", nameof(baseOptions)))
            : null;
        var points = new List<LearningCurvePoint>();
        var quiet = new Action<string>(_ => { });
        foreach (var size in sizes.Distinct().OrderBy(s => s ?? int.MaxValue))
        {
            for (var seed = 1; seed <= seeds; seed++)
            {
                var all = size is null || size >= data.Train.Count;
                var train = all ? data.Train : TrainingSet.StratifiedSample(data.Train, size!.Value, seed);
                foreach (var architecture in architectures)
                {
                    var options = baseOptions with { Architecture = architecture, Seed = seed };
                    using var space = FeatureSpace.Create(options, embedder);
                    var clock = Stopwatch.StartNew();
                    var fit = IntentTrainer.Fit(options, data, train, null, space, embedder is null ? quiet : progress);
                    var point = new LearningCurvePoint(architecture.ToString().ToLowerInvariant(), train.Count, all, seed,
                        fit.Metrics.Accuracy, fit.Metrics.MacroF1, Math.Round(clock.Elapsed.TotalSeconds, 2));
                    points.Add(point);
                    progress($"{point.Architecture,-8} {(all ? "all" : point.Size.ToString(System.Globalization.CultureInfo.InvariantCulture)),6} seed {seed}: accuracy {point.Accuracy:F4} ({point.Seconds:F1} s)");
                }
            }
        }
        var summary = points.GroupBy(p => (p.Architecture, p.Size, p.All))
            .Select(g => new LearningCurveSummary(g.Key.Architecture, g.Key.Size, g.Key.All, g.Count(),
                g.Average(p => p.Accuracy), g.Min(p => p.Accuracy), g.Max(p => p.Accuracy), g.Average(p => p.MacroF1)))
            .ToList();
        return new LearningCurveResult(Path.GetFileName(baseOptions.DataPath), data.Train.Count, data.Test.Count, data.Labels.Length,
            needsEncoder ? embedder!.Encoder.Name : null, points, summary);
    }
}
