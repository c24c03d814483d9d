using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Verdict.Scoring;
using Verdict.Scoring.Hosting;
using Verdict.Scoring.Packages;
using Verdict.Training;

namespace Verdict.Cli.Models;

/// <summary><c>verdict models train | publish | list | score | learning-curve | distill</c>.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var command = new Command("models", "Train, publish, list and try intent models.");
        command.Subcommands.Add(Train());
        command.Subcommands.Add(Publish());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Score());
        command.Subcommands.Add(TransferCommands.LearningCurveCommand());
        command.Subcommands.Add(TransferCommands.DistillCommand());
        command.Subcommands.Add(DriftCommand.Create());
        command.Subcommands.Add(RetrainCommand.Create());
        return command;
    }

    private static Command Train()
    {
        var data = new Option<FileInfo>("--data") { Description = "Labelled CSV file with a header row.", Required = true };
        var textColumn = new Option<string>("--text-column") { Description = "The text column.", DefaultValueFactory = _ => "text" };
        var labelColumn = new Option<string>("--label-column") { Description = "The label column.", DefaultValueFactory = _ => "label" };
        var splitColumn = new Option<string?>("--split-column") { Description = "Column with train/test per row; without it 20% of each label is held out." };
        var architecture = new Option<string>("--architecture")
        {
            Description = "linear or mlp (hashed n-grams), encoder (a frozen pretrained encoder and a trained head) or hybrid (both).",
            DefaultValueFactory = _ => "linear",
        };
        architecture.AcceptOnlyFromAmong("linear", "mlp", "encoder", "hybrid");
        var encoder = new Option<string>("--encoder") { Description = "encoder, hybrid: the pretrained encoder.", DefaultValueFactory = _ => "minilm" };
        encoder.AcceptOnlyFromAmong([.. Verdict.Training.Encoders.PretrainedEncoder.All.Select(e => e.Name)]);
        var maxTrain = new Option<int?>("--max-train") { Description = "Train on a seeded sample of at most N training examples that keeps each label's share." };
        var target = new Option<string>("--target") { Description = "cpu (scored in-process) or gpu (scored by the GPU service).", DefaultValueFactory = _ => "cpu" };
        target.AcceptOnlyFromAmong("cpu", "gpu");
        var precision = new Option<string>("--precision")
        {
            Description = "fp32, or int8: n-gram tables with a scale per row, an encoder's dense layers dynamically quantized (about a quarter of the size).",
            DefaultValueFactory = _ => "fp32",
        };
        precision.AcceptOnlyFromAmong("fp32", "int8");
        var denseScale = new Option<float?>("--dense-scale") { Description = "encoder, hybrid: the sentence vector's scale against the n-grams (default 1)." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder to write the model package to.", Required = true };
        var seed = new Option<int>("--seed") { Description = "Random seed; the same seed and data give the same model.", DefaultValueFactory = _ => 1 };
        var name = new Option<string>("--name") { Description = "Model name in the manifest.", DefaultValueFactory = _ => "intent" };
        var version = new Option<string>("--version") { Description = "Model version in the manifest.", DefaultValueFactory = _ => "1" };
        var epochs = new Option<int?>("--epochs") { Description = "Passes over the data (default 12)." };
        var buckets = new Option<int>("--buckets") { Description = "Hash buckets of the featurizer.", DefaultValueFactory = _ => 1 << 18 };
        var learningRate = new Option<double?>("--learning-rate") { Description = "Initial SGD learning rate (default: 1.0 linear, 0.05 mlp)." };
        var dimension = new Option<int>("--embedding-dim") { Description = "mlp: embedding dimension.", DefaultValueFactory = _ => 128 };
        var hidden = new Option<int>("--hidden") { Description = "mlp: hidden units.", DefaultValueFactory = _ => 128 };
        var dropout = new Option<double>("--dropout") { Description = "mlp: dropout on the hidden units while training.", DefaultValueFactory = _ => 0.3 };
        var command = new Command("train", "Train an intent model from labelled CSV and write a model package.")
        {
            data, textColumn, labelColumn, splitColumn, architecture, output, seed, name, version, epochs, buckets,
            learningRate, dimension, hidden, dropout, encoder, maxTrain, target, denseScale, precision,
        };
        command.SetAction(parse =>
        {
            var modelName = parse.GetValue(name)!;
            var modelVersion = parse.GetValue(version)!;
            if (!ModelReference.TryParse($"{modelName}@{modelVersion}", out _))
            {
                throw new CliException("--name and --version may hold only letters, digits, '.', '-' and '_'.");
            }
            if (parse.GetValue(maxTrain) is < 2)
            {
                throw new CliException("--max-train must be at least 2.");
            }
            var result = IntentTrainer.Train(new TrainingOptions
            {
                DataPath = parse.GetValue(data)!.FullName,
                TextColumn = parse.GetValue(textColumn)!,
                LabelColumn = parse.GetValue(labelColumn)!,
                SplitColumn = parse.GetValue(splitColumn),
                Architecture = Enum.Parse<ModelArchitecture>(parse.GetValue(architecture)!, ignoreCase: true),
                Encoder = parse.GetValue(encoder)!,
                MaxTrain = parse.GetValue(maxTrain),
                Target = parse.GetValue(target)!,
                DenseScale = parse.GetValue(denseScale),
                Precision = parse.GetValue(precision) == "int8" ? WeightPrecision.Quantized8 : WeightPrecision.Fp32,
                OutputDirectory = parse.GetValue(output)!.FullName,
                Seed = parse.GetValue(seed),
                Name = modelName,
                Version = modelVersion,
                Epochs = parse.GetValue(epochs),
                Buckets = parse.GetValue(buckets),
                LearningRate = parse.GetValue(learningRate),
                EmbeddingDimension = parse.GetValue(dimension),
                HiddenUnits = parse.GetValue(hidden),
                Dropout = parse.GetValue(dropout),
            }, Console.WriteLine);
            var metrics = result.Manifest.Metrics!;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.Manifest.Name}@{result.Manifest.Version}: accuracy {metrics.Accuracy:F4}, macro-F1 {metrics.MacroF1:F4} on {metrics.Examples} test examples; trained in {result.Manifest.Training!.Seconds:F1} s."));
            return 0;
        });
        return command;
    }

    private static Command Publish()
    {
        var package = new Option<DirectoryInfo>("--package") { Description = "The model package folder (manifest.json, model.onnx, …).", Required = true };
        var command = new Command("publish", "Verify a model package and publish it to the registry.") { package };
        var registry = RegistryOptions.Add(command);
        command.SetAction(async (parse, ct) =>
        {
            using var runtime = registry.CreateRuntime(parse);
            var info = await runtime.Registry.PublishAsync(parse.GetValue(package)!.FullName, ct).ConfigureAwait(false);
            Console.WriteLine($"published {info.Reference}");
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var command = new Command("list", "List published model versions.") { json };
        var registry = RegistryOptions.Add(command);
        command.SetAction(async (parse, ct) =>
        {
            using var runtime = registry.CreateRuntime(parse);
            var versions = await runtime.Registry.ListAsync(ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(versions.Select(v => v.Manifest), ManifestJson.Options));
                return 0;
            }
            Console.WriteLine($"{"MODEL",-32} {"TARGET",-6} {"LABELS",6} {"ACCURACY",8} {"MACRO-F1",8}  CREATED");
            foreach (var v in versions)
            {
                var m = v.Manifest;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{v.Reference,-32} {m.Target,-6} {m.Labels.Count,6} {Format(m.Metrics?.Accuracy),8} {Format(m.Metrics?.MacroF1),8}  {m.CreatedAt:u}"));
            }
            return 0;
        });
        return command;
    }

    private static Command Score()
    {
        var model = new Option<string>("--model") { Description = "name (newest version) or name@version.", Required = true };
        var text = new Option<string>("--text") { Description = "The text to score.", Required = true };
        var command = new Command("score", "Score one text and print the result as JSON.") { model, text };
        var registry = RegistryOptions.Add(command);
        command.SetAction(async (parse, ct) =>
        {
            var reference = ModelReference.Parse(parse.GetValue(model)!);
            using var runtime = registry.CreateRuntime(parse);
            var score = await runtime.Scorer.ScoreAsync(reference, parse.GetValue(text)!, ct).ConfigureAwait(false);
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                model = score.Model,
                intent = score.Label,
                confidence = Math.Round(score.Confidence, 6),
                probabilities = score.Labels.Select((l, i) => (l, p: Math.Round(score.Probabilities[i], 6))).ToDictionary(x => x.l, x => x.p),
            }, ManifestJson.Options));
            return 0;
        });
        return command;
    }

    private static string Format(double? value) => value is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "-";
}
