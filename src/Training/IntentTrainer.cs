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
        var data = TrainingSet.Load(options);
        progress($"{data.Train.Count} training and {data.Test.Count} test examples, {data.Labels.Length} labels.");
        using var space = FeatureSpace.Create(options);
        var fit = Fit(options, data, data.Train, null, space, progress);
        progress($"test accuracy {fit.Metrics.Accuracy:F4}, macro-F1 {fit.Metrics.MacroF1:F4}");
        return Write(options, data, space, fit, clock.Elapsed.TotalSeconds, null, progress);
    }

    /// <summary>A trained model with its test predictions.</summary>
    internal sealed record FitResult(ITrainableModel Model, int Epochs, double LearningRate, int[] Predicted, ModelMetrics Metrics);

    /// <summary>
    /// Trains one model on <paramref name="train"/> (towards <paramref name="softTargets"/> when given, one probability
    /// vector per example) and evaluates it on the test split.
    /// </summary>
    internal static FitResult Fit(
        TrainingOptions options, TrainingSet data, IReadOnlyList<LabelledExample> train, IReadOnlyList<float[]>? softTargets,
        FeatureSpace space, Action<string> progress)
    {
        var clock = Stopwatch.StartNew();
        space.Prepare(train.Select(e => e.Text).Concat(data.Test.Select(e => e.Text)), progress);
        var trainX = train.Select(e => space.Extract(e.Text)).ToArray();
        var trainY = train.Select(e => data.LabelIndex[e.Label]).ToArray();
        var testX = data.Test.Select(e => space.Extract(e.Text)).ToArray();
        var testY = data.Test.Select(e => data.LabelIndex[e.Label]).ToArray();

        var random = new Random(options.Seed);
        var (model, epochs, learningRate) = CreateModel(options, space.Dimension, data.Labels.Length, random);
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
                loss += softTargets is null ? model.Step(trainX[i], trainY[i], rate) : model.Step(trainX[i], softTargets[i], rate);
            }
            if (epoch == epochs || epochs <= 20 || epoch % 10 == 0)
            {
                progress($"epoch {epoch}/{epochs}: mean loss {loss / Math.Max(1, order.Length):F4} ({clock.Elapsed.TotalSeconds:F1} s)");
            }
        }
        var predicted = Predict(model, testX, data.Labels.Length);
        var metrics = ClassificationMetrics.Compute(data.Labels, testY, predicted, data.Test.Count == 0 ? "none" : "test");
        return new FitResult(model, epochs, learningRate, predicted, metrics);
    }

    /// <summary>Writes the package (graph, assets, manifest last) and checks that serving predicts what training did.</summary>
    internal static TrainingResult Write(
        TrainingOptions options, TrainingSet data, FeatureSpace space, FitResult fit, double seconds,
        Func<TrainingInfo, TrainingInfo>? amendTraining, Action<string> progress)
    {
        var architecture = options.Architecture.ToString().ToLowerInvariant();
        var int8 = options.Precision == WeightPrecision.Quantized8;
        var onnx = space.ToOnnx(fit.Model, $"Verdict {architecture} intent model '{options.Name}@{options.Version}'.", int8);
        var training = new TrainingInfo
        {
            Architecture = architecture,
            Encoder = space.Encoder?.Name,
            Seed = options.Seed,
            TrainExamples = data.Train.Count,
            Epochs = fit.Epochs,
            Seconds = Math.Round(seconds, 2),
            DataFile = Path.GetFileName(options.DataPath),
            HyperParameters = HyperParameters(options, space, fit.LearningRate),
            Precision = int8 ? "int8" : "fp32",
        };
        var metrics = fit.Metrics;
        var predicted = fit.Predicted;
        if (int8)
        {
            // The int8 model is what will serve: its own test predictions are the metrics; the float model's accuracy is kept beside them.
            predicted = ServedPredictions(onnx, space, data);
            metrics = ClassificationMetrics.Compute(data.Labels, [.. data.Test.Select(e => data.LabelIndex[e.Label])], predicted, metrics.Split);
            training = training with { Fp32Accuracy = fit.Metrics.Accuracy };
            progress($"int8: test accuracy {metrics.Accuracy:F4} (float32 {fit.Metrics.Accuracy:F4})");
        }
        var manifest = new ModelManifest
        {
            Name = options.Name,
            Version = options.Version,
            Labels = data.Labels,
            Featurizer = space.ToSpec(),
            Model = new OnnxSpec { Sha256 = Convert.ToHexStringLower(SHA256.HashData(onnx)) },
            Target = options.Target,
            Description = options.Description,
            Metrics = metrics,
            Training = amendTraining is null ? training : amendTraining(training),
        };
        Directory.CreateDirectory(options.OutputDirectory);
        File.WriteAllBytes(Path.Combine(options.OutputDirectory, manifest.Model.File), onnx);
        foreach (var (file, bytes) in space.Assets())
        {
            File.WriteAllBytes(Path.Combine(options.OutputDirectory, file), bytes);
        }
        File.WriteAllBytes(Path.Combine(options.OutputDirectory, ModelPackage.ManifestFile), ManifestJson.Serialize(manifest));

        var agreements = CheckServing(options.OutputDirectory, data.Test, predicted, data.Labels);
        progress($"wrote {options.OutputDirectory} ({onnx.Length / 1024.0 / 1024.0:F1} MB); serving agrees on {agreements}/{data.Test.Count} test predictions.");
        return new TrainingResult(options.OutputDirectory, manifest, agreements, data.Test.Count);
    }

    private static (ITrainableModel Model, int Epochs, double LearningRate) CreateModel(TrainingOptions options, int dimension, int classes, Random random) =>
        options.Architecture switch
        {
            ModelArchitecture.Linear => (new LinearModel(dimension, classes), options.Epochs ?? 12, options.LearningRate ?? 1.0),
            ModelArchitecture.Mlp => (new MlpModel(dimension, options.EmbeddingDimension, options.HiddenUnits, classes, options.Dropout, random),
                options.Epochs ?? 12, options.LearningRate ?? 0.05),
            ModelArchitecture.Encoder or ModelArchitecture.Hybrid => (new LinearModel(dimension, classes), options.Epochs ?? 30, options.LearningRate ?? 1.0),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Architecture, "Unknown architecture."),
        };

    private static Dictionary<string, double> HyperParameters(TrainingOptions options, FeatureSpace space, double learningRate)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal) { ["learningRate"] = learningRate };
        if (space.NGramSettings is { } ngrams)
        {
            result["buckets"] = ngrams.Buckets;
        }
        if (space.Encoder is not null)
        {
            result["denseScale"] = space.DenseScale;
        }
        if (options.Architecture == ModelArchitecture.Mlp)
        {
            result["embeddingDimension"] = options.EmbeddingDimension;
            result["hiddenUnits"] = options.HiddenUnits;
            result["dropout"] = options.Dropout;
        }
        return result;
    }

    internal static int[] Predict(ITrainableModel model, SparseFeatures[] features, int classes)
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

    /// <summary>
    /// Texts per call when the trainer scores the test split through the serving code. The same for measuring an int8
    /// model and for checking it: dynamic quantization scales a call's activations by their range over the whole batch,
    /// so an int8 encoder's answer for a text can depend on the texts beside it in the call.
    /// </summary>
    private const int ServingCheckBatch = 64;

    /// <summary>The test predictions of a graph through the serving code, before its package is written.</summary>
    private static int[] ServedPredictions(byte[] onnx, FeatureSpace space, TrainingSet data)
    {
        var manifest = new ModelManifest
        {
            Name = "candidate", Version = "1", Labels = data.Labels, Featurizer = space.ToSpec(),
            Model = new OnnxSpec { Sha256 = Convert.ToHexStringLower(SHA256.HashData(onnx)) },
        };
        var files = new Dictionary<string, byte[]>(space.Assets()) { [ModelPackage.ManifestFile] = ManifestJson.Serialize(manifest), [manifest.Model.File] = onnx };
        var package = ModelPackage.ReadAsync("candidate", (file, _) => Task.FromResult(files.GetValueOrDefault(file)), CancellationToken.None).GetAwaiter().GetResult();
        // One thread, as the app runs it and as the check below does: int8 kernels may round differently with more.
        using var served = OnnxIntentModel.Load(package, intraOpThreads: 1, useCuda: false);
        var index = data.Labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        return [.. data.Test.Chunk(ServingCheckBatch).SelectMany(chunk => served.Score([.. chunk.Select(e => e.Text)])).Select(s => index[s.Label])];
    }

    private static int CheckServing(string directory, IReadOnlyList<LabelledExample> test, int[] predicted, string[] labels)
    {
        var package = ModelPackage.ReadFolderAsync(directory, CancellationToken.None).GetAwaiter().GetResult();
        using var served = OnnxIntentModel.Load(package, intraOpThreads: 1, useCuda: false);
        var agreements = 0;
        var start = 0;
        foreach (var batch in test.Select(e => e.Text).Chunk(ServingCheckBatch))
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
}
