using Microsoft.ML.OnnxRuntime;
using Verdict.Scoring.Hosting;
using Verdict.Scoring;
using Verdict.Scoring.Packages;
using Verdict.TestUtilities;

namespace Verdict.Training.Tests.Encoders;

/// <summary>Transfer learning, sampling and distillation on the suite's own corpus with the restored MiniLM encoder.</summary>
public sealed class TransferTrainingTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private TrainingOptions Options(ModelArchitecture architecture, string output) => new()
    {
        DataPath = TestModels.CorpusCsv, SplitColumn = "split", OutputDirectory = _temp.Combine(output),
        Architecture = architecture, Buckets = 4096, Epochs = 5, EmbeddingDimension = 16, HiddenUnits = 16,
    };

    [Theory]
    [InlineData(ModelArchitecture.Encoder, FeaturizerSpec.WordPiece)]
    [InlineData(ModelArchitecture.Hybrid, FeaturizerSpec.Hybrid)]
    public async Task Train_TransferModel_IsOneGraphThatServingReproducesAndTheRegistryServes(ModelArchitecture architecture, string featurizer)
    {
        var result = IntentTrainer.Train(Options(architecture, "m"));

        Assert.True(result.Manifest.Metrics!.Accuracy > 0.8, $"accuracy {result.Manifest.Metrics.Accuracy}");
        Assert.True(result.ServingChecked > 50);
        Assert.Equal(result.ServingChecked, result.ServingAgreements);
        Assert.Equal(featurizer, result.Manifest.Featurizer.Type);
        Assert.Equal("minilm", result.Manifest.Training!.Encoder);
        Assert.True(File.Exists(_temp.Combine("m", "vocab.txt")));

        // The Hugging Face sequence-classifier signature (plus the n-gram inputs for the hybrid), logits out.
        using (var session = new InferenceSession(_temp.Combine("m", "model.onnx")))
        {
            var expected = architecture == ModelArchitecture.Hybrid
                ? new[] { "attention_mask", "ids", "input_ids", "token_type_ids", "weights" }
                : ["attention_mask", "input_ids", "token_type_ids"];
            Assert.Equal(expected, session.InputMetadata.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(["logits"], session.OutputMetadata.Keys);
            Assert.Equal([-1, 5], session.OutputMetadata["logits"].Dimensions);
        }

        using var runtime = ScoringRuntime.Create(new ScoringOptions { LocalPath = _temp.Combine("registry") });
        var info = await runtime.Registry.PublishAsync(_temp.Combine("m"));
        var scores = await runtime.Scorer.ScoreBatchAsync(info.Reference, ["Please unsubscribe me from this list.", "I am out of the office until Monday.", ""]);
        Assert.Equal("unsubscribe", scores[0].Label);
        Assert.Equal("out-of-office", scores[1].Label);
        Assert.Equal(1.0, scores[2].Probabilities.Sum(), 4);
    }

    [Fact]
    public void Train_MaxTrain_KeepsThatManyExamplesWithEveryLabelsShare()
    {
        var result = IntentTrainer.Train(Options(ModelArchitecture.Linear, "m") with { MaxTrain = 60, Seed = 4 });
        Assert.Equal(60, result.Manifest.Training!.TrainExamples);
        var again = IntentTrainer.Train(Options(ModelArchitecture.Linear, "n") with { MaxTrain = 60, Seed = 4 });
        Assert.Equal(result.Manifest.Model.Sha256, again.Manifest.Model.Sha256);
    }

    [Fact]
    public void StratifiedSample_KeepsEachLabelsShare_AtLeastOneEach_AndIsSeeded()
    {
        var examples = Enumerable.Range(0, 1000)
            .Select(i => new Verdict.Training.Data.LabelledExample($"t{i}", i < 700 ? "a" : i < 990 ? "b" : "c", "train", i + 2))
            .ToList();
        var sample = TrainingSet.StratifiedSample(examples, 100, seed: 1);
        Assert.Equal(100, sample.Count);
        Assert.Equal(sample.Count, sample.Select(e => e.Text).Distinct().Count());
        var counts = sample.GroupBy(e => e.Label).ToDictionary(g => g.Key, g => g.Count());
        Assert.InRange(counts["a"], 69, 70);
        Assert.InRange(counts["b"], 28, 29);
        Assert.Equal(1, counts["c"]);
        Assert.Equal(sample.Select(e => e.Text), TrainingSet.StratifiedSample(examples, 100, seed: 1).Select(e => e.Text));
        Assert.NotEqual(sample.Select(e => e.Text), TrainingSet.StratifiedSample(examples, 100, seed: 2).Select(e => e.Text));
    }

    [Fact]
    public void Distill_StudentLearnsTheTeachersSoftLabels_AndTheManifestComparesThem()
    {
        var teacher = IntentTrainer.Train(Options(ModelArchitecture.Encoder, "teacher") with { MaxTrain = 40, Name = "teacher" });
        var student = Distiller.Distill(Options(ModelArchitecture.Linear, "student") with { Name = "student" }, _temp.Combine("teacher"), null);

        var d = student.Manifest.Training!.Distillation!;
        Assert.Equal("teacher@1", d.Teacher);
        Assert.Equal(teacher.Manifest.Metrics!.Accuracy, d.TeacherAccuracy, 4);
        Assert.Equal(student.Manifest.Metrics!.Accuracy, d.StudentAccuracy, 4);
        // The student learned from the teacher, not the gold labels: it agrees with the teacher more than chance and
        // its accuracy is near the teacher's (the corpus's training texts, labels unused, were the transfer set).
        Assert.True(d.Agreement > 0.8, $"agreement {d.Agreement}");
        Assert.True(Math.Abs(d.StudentAccuracy - d.TeacherAccuracy) < 0.1, $"student {d.StudentAccuracy}, teacher {d.TeacherAccuracy}");
        Assert.Equal(student.Manifest.Training.TrainExamples, d.TransferExamples);
        Assert.True(d.TransferExamples > 10 * teacher.Manifest.Training!.TrainExamples);
        Assert.True(d.SpeedRatio > 1, $"speed ratio {d.SpeedRatio}");
        Assert.Equal(student.ServingChecked, student.ServingAgreements);
    }

    [Fact]
    public void LearningCurve_EveryArchitectureSizeAndSeed_OnTheWholeTestSplit()
    {
        var result = LearningCurve.Run(Options(ModelArchitecture.Linear, "unused"), [ModelArchitecture.Linear, ModelArchitecture.Encoder], [20, null], seeds: 2);
        Assert.Equal(2 * 2 * 2, result.Points.Count);
        Assert.Equal(4, result.Summary.Count);
        Assert.All(result.Points.Where(p => !p.All), p => Assert.Equal(20, p.Size));
        Assert.All(result.Points.Where(p => p.All), p => Assert.Equal(result.TrainExamples, p.Size));
        var encoder = result.Summary.Single(s => s.Architecture == "encoder" && s.All);
        var few = result.Summary.Single(s => s.Architecture == "linear" && !s.All);
        Assert.InRange(encoder.MeanAccuracy, few.MeanAccuracy, 1.0);
        Assert.Equal("minilm", result.Encoder);
    }

    public void Dispose() => _temp.Dispose();
}
