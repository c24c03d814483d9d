using System.Diagnostics;
using System.Security.Cryptography;
using Verdict.Scoring.Hosting;
using Verdict.Scoring;
using Verdict.Training.Demo;
using Verdict.TestUtilities;

namespace Verdict.Training.Tests;

public sealed class IntentTrainerTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private TrainingResult Train(ModelArchitecture architecture, string output, int seed = 1) =>
        IntentTrainer.Train(new TrainingOptions
        {
            DataPath = TestModels.CorpusCsv, SplitColumn = "split", OutputDirectory = _temp.Combine(output),
            Architecture = architecture, Seed = seed, Buckets = 4096, Epochs = 5, EmbeddingDimension = 16, HiddenUnits = 16,
        });

    [Theory]
    [InlineData(ModelArchitecture.Linear)]
    [InlineData(ModelArchitecture.Mlp)]
    public void Train_DemoCorpus_LearnsAndServingReproducesEveryTestPrediction(ModelArchitecture architecture)
    {
        var result = Train(architecture, "m");
        var metrics = result.Manifest.Metrics!;
        Assert.True(metrics.Accuracy > 0.8, $"accuracy {metrics.Accuracy}");
        Assert.Equal(5, metrics.PerClassF1.Count);
        Assert.Equal(metrics.Examples, metrics.ConfusionMatrix.Sum(r => r.Sum()));
        Assert.True(result.ServingChecked > 50);
        Assert.Equal(result.ServingChecked, result.ServingAgreements);
    }

    [Theory]
    [InlineData(ModelArchitecture.Linear)]
    [InlineData(ModelArchitecture.Mlp)]
    public void Train_SameSeed_WritesIdenticalModel(ModelArchitecture architecture)
    {
        var a = Train(architecture, "a", seed: 3);
        var b = Train(architecture, "b", seed: 3);
        var c = Train(architecture, "c", seed: 4);
        Assert.Equal(a.Manifest.Model.Sha256, b.Manifest.Model.Sha256);
        Assert.Equal(a.Manifest.Model.Sha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(_temp.Combine("a", "model.onnx")))));
        Assert.NotEqual(a.Manifest.Model.Sha256, c.Manifest.Model.Sha256);
    }

    [Fact]
    public void Train_NoSplitColumn_HoldsOutAFractionOfEachLabel()
    {
        var result = IntentTrainer.Train(new TrainingOptions
        {
            DataPath = TestModels.CorpusCsv, OutputDirectory = _temp.Combine("m"), Buckets = 4096, Epochs = 2, TestFraction = 0.25,
        });
        var total = File.ReadAllLines(TestModels.CorpusCsv).Length - 1;
        Assert.InRange(result.ServingChecked, total / 4 - 5, total / 4 + 5);
    }

    [Fact]
    public void Train_LabelOnlyInTestSplit_NamesTheLine()
    {
        var path = _temp.Combine("d.csv");
        File.WriteAllText(path, "text,label,split\nyes please,positive,train\nno thanks,objection,train\nwho knows,not-sure,test\n");
        var error = Assert.Throws<TrainingDataException>(() => IntentTrainer.Train(new TrainingOptions
        {
            DataPath = path, SplitColumn = "split", OutputDirectory = _temp.Combine("m"), Buckets = 64,
        }));
        Assert.Equal(4, error.Line);
    }

    [Fact]
    public async Task Train_WrittenPackage_PublishesAndScores()
    {
        Train(ModelArchitecture.Linear, "pkg");
        using var runtime = ScoringRuntime.Create(new ScoringOptions { LocalPath = _temp.Combine("registry") });
        var info = await runtime.Registry.PublishAsync(_temp.Combine("pkg"));
        var score = await runtime.Scorer.ScoreAsync(info.Reference, "Please unsubscribe me from this list.");
        Assert.Equal("unsubscribe", score.Label);
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("mlp")]
    [InlineData("bert")]
    public void OnnxFile_PassesTheOnnxChecker(string kind)
    {
        var folder = _temp.Combine(kind);
        if (kind == "bert")
        {
            TinyBertBuilder.Write(folder, DemoCorpus.Labels, DemoCorpus.Samples(100, 1));
        }
        else
        {
            Train(kind == "mlp" ? ModelArchitecture.Mlp : ModelArchitecture.Linear, kind);
        }
        // Debian's python3-onnx (installed by scripts/install-tools.sh): onnx.checker.check_model(full_check=True)
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True); print('valid')");
        start.ArgumentList.Add(Path.Combine(folder, "model.onnx"));
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, errors);
        Assert.Equal("valid", output.Trim());
    }

    public void Dispose() => _temp.Dispose();
}
