using Microsoft.Extensions.Logging.Abstractions;
using Verdict.Scoring.Hosting;
using Verdict.Scoring.Inference;
using Verdict.TestUtilities;

namespace Verdict.Scoring.Tests.Inference;

public sealed class IntentScorerTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly ScoringRuntime _runtime;

    public IntentScorerTests()
    {
        TestModels.CopyLinear(_temp.Combine("registry", "replies", "1"));
        TestModels.CopyTinyBert(_temp.Combine("registry", "tiny-bert", "1"));
        TestModels.CopyTinyBertInt32(_temp.Combine("registry", "tiny-bert-32", "1"));
        _runtime = ScoringRuntime.Create(new ScoringOptions { LocalPath = _temp.Combine("registry"), MaxBatchSize = 8 });
    }

    [Theory]
    [InlineData("replies")]
    [InlineData("tiny-bert")]
    public async Task Score_Text_ReturnsLabelWithProbabilitiesSummingToOne(string model)
    {
        var score = await _runtime.Scorer.ScoreAsync(ModelReference.Parse(model), "Please remove me from your mailing list.");
        Assert.Equal($"{model}@1", score.Model);
        Assert.Equal(5, score.Probabilities.Count);
        Assert.Equal(1.0, score.Probabilities.Sum(p => (double)p), 5);
        Assert.Equal(score.Probabilities.Max(), score.Confidence);
        Assert.Equal(score.Labels[score.Probabilities.ToList().IndexOf(score.Confidence)], score.Label);
    }

    [Fact]
    public async Task Score_ModelWithInt32Inputs_MatchesTheSameModelWithInt64Inputs()
    {
        string[] texts = ["Yes, let's set up a call.", "Too expensive for us.", ""];
        for (int round = 0; round < 2; round++) // the second round reuses whatever the first one left behind
        {
            var wide = await _runtime.Scorer.ScoreBatchAsync(ModelReference.Parse("tiny-bert@1"), texts);
            var narrow = await _runtime.Scorer.ScoreBatchAsync(ModelReference.Parse("tiny-bert-32@1"), texts);
            for (var i = 0; i < texts.Length; i++)
            {
                Assert.Equal(wide[i].Probabilities, narrow[i].Probabilities);
            }
            Assert.Equal(wide[0].Probabilities, (await _runtime.Scorer.ScoreAsync(ModelReference.Parse("tiny-bert-32@1"), texts[0])).Probabilities);
        }
    }

    [Fact]
    public async Task Score_TrainedModel_PredictsObviousIntents()
    {
        var scorer = _runtime.Scorer;
        var model = ModelReference.Parse("replies@1");
        Assert.Equal("unsubscribe", (await scorer.ScoreAsync(model, "Please stop sending these emails. Unsubscribe.")).Label);
        Assert.Equal("out-of-office", (await scorer.ScoreAsync(model, "Automatic reply: I'm on vacation and back Monday.")).Label);
    }

    [Fact]
    public async Task ScoreBatch_SameTextsAsSingles_GivesSameResults()
    {
        string[] texts = ["Yes, let's set up a call.", "", "Too expensive for us.", "Maybe later, send case studies?"];
        foreach (var model in new[] { "replies@1", "tiny-bert@1" })
        {
            var batch = await _runtime.Scorer.ScoreBatchAsync(ModelReference.Parse(model), texts);
            for (var i = 0; i < texts.Length; i++)
            {
                var single = await _runtime.Scorer.ScoreAsync(ModelReference.Parse(model), texts[i]);
                Assert.Equal(single.Label, batch[i].Label);
                for (var c = 0; c < single.Probabilities.Count; c++)
                {
                    Assert.Equal(single.Probabilities[c], batch[i].Probabilities[c], 5);
                }
            }
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("\uD800\uDC00\uDFFF lone \uD83D surrogates")]
    [InlineData("\u0000\u0001\u0007 control \u001F characters")]
    [InlineData("أضف تذكيرًا اليوم الساعة 4 مساءً")]
    [InlineData("明日の天気を教えて")]
    public async Task Score_UnusualText_ReturnsValidDistribution(string text)
    {
        foreach (var model in new[] { "replies@1", "tiny-bert@1" })
        {
            var score = await _runtime.Scorer.ScoreAsync(ModelReference.Parse(model), text);
            Assert.All(score.Probabilities, p => Assert.True(float.IsFinite(p) && p >= 0 && p <= 1));
            Assert.Equal(1.0, score.Probabilities.Sum(p => (double)p), 5);
        }
    }

    [Fact]
    public async Task Score_OneMegabyteText_ScoresTheBoundedPrefix()
    {
        var huge = "Please unsubscribe me. " + new string('x', 1 << 20);
        foreach (var model in new[] { "replies@1", "tiny-bert@1" })
        {
            var score = await _runtime.Scorer.ScoreAsync(ModelReference.Parse(model), huge);
            Assert.Equal(1.0, score.Probabilities.Sum(p => (double)p), 5);
        }
    }

    [Fact]
    public async Task ScoreBatch_OverTheLimit_ThrowsInvalidInput()
    {
        var error = await Assert.ThrowsAsync<ScoringException>(async () =>
            await _runtime.Scorer.ScoreBatchAsync(ModelReference.Parse("replies"), Enumerable.Repeat("x", 9).ToArray()));
        Assert.Equal(ScoringError.InvalidInput, error.Error);
        Assert.Contains("8", error.Message);
    }

    [Fact]
    public async Task ScoreBatch_Empty_ReturnsEmpty() =>
        Assert.Empty(await _runtime.Scorer.ScoreBatchAsync(ModelReference.Parse("replies"), []));

    [Fact]
    public async Task Score_UnknownModel_ThrowsModelNotFound()
    {
        var error = await Assert.ThrowsAsync<ScoringException>(async () => await _runtime.Scorer.ScoreAsync(ModelReference.Parse("nope"), "x"));
        Assert.Equal(ScoringError.ModelNotFound, error.Error);
        var version = await Assert.ThrowsAsync<ScoringException>(async () => await _runtime.Scorer.ScoreAsync(ModelReference.Parse("replies@9"), "x"));
        Assert.Equal(ScoringError.ModelNotFound, version.Error);
    }

    [Fact]
    public void Create_CudaWithoutCudaProvider_FailsAtStartUpNamingTheSetting()
    {
        var error = Assert.Throws<ScoringException>(() => ScoringRuntime.Create(new ScoringOptions
        {
            LocalPath = _temp.Path,
            ExecutionProvider = ExecutionProviderKind.Cuda,
        }));
        Assert.Equal(ScoringError.ExecutionProviderUnavailable, error.Error);
        Assert.Contains("Scoring:ExecutionProvider", error.Message);
    }

    [Fact]
    public void UseCuda_CudaOrCpuWithoutCuda_FallsBackToCpu() =>
        Assert.False(ExecutionProviderSelector.UseCuda(ExecutionProviderKind.CudaOrCpu, NullLogger.Instance, ["CPUExecutionProvider"]));

    [Fact]
    public void UseCuda_CudaAvailable_PicksCuda() =>
        Assert.True(ExecutionProviderSelector.UseCuda(ExecutionProviderKind.Cuda, NullLogger.Instance, ["CUDAExecutionProvider", "CPUExecutionProvider"]));

    [Fact]
    public void Create_NoStoreConfigured_FailsNamingTheSettings()
    {
        var error = Assert.Throws<ScoringException>(() => ScoringRuntime.Create(new ScoringOptions()));
        Assert.Contains("Scoring:LocalPath", error.Message);
    }

    public void Dispose()
    {
        _runtime.Dispose();
        _temp.Dispose();
    }
}
