using System.Diagnostics;
using System.Security.Cryptography;
using Verdict.Scoring.Featurizers;
using Verdict.Scoring.Inference;
using Verdict.Scoring.Packages;
using Verdict.Training.Data;
using Verdict.Training.Evaluation;
using Verdict.Training.Models;

namespace Verdict.Training;

/// <summary>Trains intent models from labelled CSV and writes them as model packages.</summary>
public static class IntentTrainer
{
    /// <summary>
    /// Reads the data, trains, evaluates on the test split, writes <c>model.onnx</c> and
    /// <c>manifest.json</c>, then scores the test split again through the serving code to check that the
    /// exported model predicts what the trainer did.
    /// </summary>
    /// <exception cref="TrainingDataException">The data is unusable; the message names file and line.</exception>
    public static TrainingResult Train(TrainingOptions options, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        progress ??= _ => { };
        var clock = Stopwatch.StartNew();
        var examples = LabelledCsvReader.Read(options.DataPath, options.TextColumn, options.LabelColumn, options.SplitColumn);
        var (train, test) = Split(examples, options);
        var labels = train.Select(e => e.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (labels.Length < 2)
        {
            throw new TrainingDataException(options.DataPath, 0, $"training needs at least two labels; the train split has {labels.Length}");
        }
        var labelIndex = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        foreach (var e in test)
        {
            if (!labelIndex.ContainsKey(e.Label))
            {
                throw new TrainingDataException(options.DataPath, e.Line, $"label '{e.Label}' is in the test split but never in the train split");
            }
        }

        var settings = HashedNGramSettings.Default with { Buckets = options.Buckets };
        var featurizer = new HashedNGramFeaturizer(settings);
        var trainX = train.Select(e => featurizer.Extract(e.Text)).ToArray();
        var trainY = train.Select(e => labelIndex[e.Label]).ToArray();
        var testX = test.Select(e => featurizer.Extract(e.Text)).ToArray();
        var testY = test.Select(e => labelIndex[e.Label]).ToArray();
        progress($"{train.Count} training and {test.Count} test examples, {labels.Length} labels; featurized in {clock.Elapsed.TotalSeconds:F1} s.");

        var random = new Random(options.Seed);
        var (model, epochs, learningRate) = CreateModel(options, labels.Length, random);
        var order = Enumerable.Range(0, trainX.Length).ToArray();
        var totalSteps = (double)epochs * order.Length;
        var step = 0L;
        for (var epoch = 1; epoch <= epochs; epoch++)
        {
            random.Shuffle(order);
            double loss = 0;
            foreach (var i in order)
            {
                var rate = (float)(learningRate * Math.Max(0.0, 1.0 - (step++ / totalSteps)));
                loss += model.Step(trainX[i], trainY[i], rate);
            }
            progress($"epoch {epoch}/{epochs}: mean loss {loss / Math.Max(1, order.Length):F4} ({clock.Elapsed.TotalSeconds:F1} s)");
        }
        var trainingSeconds = clock.Elapsed.TotalSeconds;

        var predicted = Predict(model, testX, labels.Length);
        var metrics = ClassificationMetrics.Compute(labels, testY, predicted, test.Count == 0 ? "none" : "test");
        progress($"test accuracy {metrics.Accuracy:F4}, macro-F1 {metrics.MacroF1:F4}");

        var onnx = model.ToOnnx($"Verdict {options.Architecture.ToString().ToLowerInvariant()} intent model '{options.Name}@{options.Version}'.");
        var manifest = new ModelManifest
        {
            Name = options.Name,
            Version = options.Version,
            Labels = labels,
            Featurizer = settings.ToSpec(),
            Model = new OnnxSpec { Sha256 = Convert.ToHexStringLower(SHA256.HashData(onnx)) },
            Target = "cpu",
            Description = options.Description,
            Metrics = metrics,
            Training = new TrainingInfo
            {
                Architecture = options.Architecture.ToString().ToLowerInvariant(),
                Seed = options.Seed,
                TrainExamples = train.Count,
                Epochs = epochs,
                Seconds = Math.Round(trainingSeconds, 2),
                DataFile = Path.GetFileName(options.DataPath),
                HyperParameters = HyperParameters(options, learningRate),
            },
        };
        Directory.CreateDirectory(options.OutputDirectory);
        File.WriteAllBytes(Path.Combine(options.OutputDirectory, manifest.Model.File), onnx);
        File.WriteAllBytes(Path.Combine(options.OutputDirectory, ModelPackage.ManifestFile), ManifestJson.Serialize(manifest));

        var agreements = CheckServing(options.OutputDirectory, test, predicted, labels);
        progress($"wrote {options.OutputDirectory} ({onnx.Length / 1024.0 / 1024.0:F1} MB); serving agrees on {agreements}/{test.Count} test predictions.");
        return new TrainingResult(options.OutputDirectory, manifest, agreements, test.Count);
    }

    private static (ITrainableModel Model, int Epochs, double LearningRate) CreateModel(TrainingOptions options, int classes, Random random) =>
        options.Architecture switch
        {
            ModelArchitecture.Linear => (new LinearModel(options.Buckets, classes), options.Epochs ?? 12, options.LearningRate ?? 1.0),
            ModelArchitecture.Mlp => (new MlpModel(options.Buckets, options.EmbeddingDimension, options.HiddenUnits, classes, options.Dropout, random),
                options.Epochs ?? 12, options.LearningRate ?? 0.05),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Architecture, "Unknown architecture."),
        };

    private static Dictionary<string, double> HyperParameters(TrainingOptions options, double learningRate)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["learningRate"] = learningRate,
            ["buckets"] = options.Buckets,
        };
        if (options.Architecture == ModelArchitecture.Mlp)
        {
            result["embeddingDimension"] = options.EmbeddingDimension;
            result["hiddenUnits"] = options.HiddenUnits;
            result["dropout"] = options.Dropout;
        }
        return result;
    }

    private static int[] Predict(ITrainableModel model, SparseFeatures[] features, int classes)
    {
        var logits = new float[classes];
        var predicted = new int[features.Length];
        for (var i = 0; i < features.Length; i++)
        {
            model.Logits(features[i], logits);
            var best = 0;
            for (var c = 1; c < classes; c++)
            {
                if (logits[c] > logits[best])
                {
                    best = c;
                }
            }
            predicted[i] = best;
        }
        return predicted;
    }

    private static int CheckServing(string directory, List<LabelledExample> test, int[] predicted, string[] labels)
    {
        var package = ModelPackage.ReadFolderAsync(directory, CancellationToken.None).GetAwaiter().GetResult();
        using var served = OnnxIntentModel.Load(package, intraOpThreads: 1, useCuda: false);
        var agreements = 0;
        var start = 0;
        foreach (var batch in test.Select(e => e.Text).Chunk(256))
        {
            var scores = served.Score(batch);
            for (var i = 0; i < scores.Length; i++)
            {
                if (scores[i].Label == labels[predicted[start + i]])
                {
                    agreements++;
                }
            }
            start += batch.Length;
        }
        return agreements;
    }

    private static (List<LabelledExample> Train, List<LabelledExample> Test) Split(List<LabelledExample> examples, TrainingOptions options)
    {
        if (options.SplitColumn is not null)
        {
            var train = examples.Where(e => e.Split == "train").ToList();
            var test = examples.Where(e => e.Split == "test").ToList();
            if (train.Count == 0)
            {
                throw new TrainingDataException(options.DataPath, 0, $"no row has '{options.SplitColumn}' = 'train'");
            }
            return (train, test);
        }
        if (options.TestFraction is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.TestFraction, "TestFraction must be in [0, 1).");
        }
        var random = new Random(options.Seed);
        var trainSet = new List<LabelledExample>();
        var testSet = new List<LabelledExample>();
        foreach (var group in examples.GroupBy(e => e.Label, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var items = group.ToArray();
            random.Shuffle(items);
            var held = items.Length < 2 ? 0 : (int)Math.Round(items.Length * options.TestFraction);
            testSet.AddRange(items.Take(held));
            trainSet.AddRange(items.Skip(held));
        }
        trainSet.Sort((a, b) => a.Line.CompareTo(b.Line));
        testSet.Sort((a, b) => a.Line.CompareTo(b.Line));
        return (trainSet, testSet);
    }
}
