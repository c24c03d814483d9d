using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Verdict.Scoring;
using Verdict.Scoring.Hosting;
using Verdict.TestUtilities;
using Verdict.Training;

namespace Verdict.ScoringService.Tests;

/// <summary>The heavy path with a real transformer: a MiniLM encoder model for the GPU, served by the scoring service.</summary>
public sealed class EncoderModelTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task AnEncoderModelForTheGpu_IsScoredByTheServiceInSharedBatches_AsTheTrainerScoredIt()
    {
        var trained = IntentTrainer.Train(new TrainingOptions
        {
            DataPath = TestModels.CorpusCsv, SplitColumn = "split", OutputDirectory = _temp.Combine("package"),
            Architecture = ModelArchitecture.Encoder, MaxTrain = 100, Name = "minilm-intent", Target = "gpu",
        });
        using (var publisher = ScoringRuntime.Create(new ScoringOptions { LocalPath = _temp.Combine("registry") }))
        {
            await publisher.Registry.PublishAsync(trained.PackageDirectory);
        }
        string[] texts =
        [
            "Yes, let's talk Thursday at 10.", "Please take me off your mailing list.", "I'm away until the 14th with no access to email.",
            "It's too expensive for us this year.", "Not sure, can you send more details?", "",
        ];
        using var local = ScoringRuntime.Create(new ScoringOptions { LocalPath = _temp.Combine("registry") });
        var expected = (await local.Scorer.ScoreBatchAsync(ModelReference.Parse("minilm-intent@1"), texts)).Select(s => s.Label).ToList();

        using var app = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b.UseSetting("Scoring:LocalPath", _temp.Combine("registry")));
        using var client = app.CreateClient();
        var model = JsonDocument.Parse(await client.GetStringAsync("/models")).RootElement.EnumerateArray().Single();
        Assert.Equal("gpu", model.GetProperty("target").GetString());
        // One text per request, all at once: the service gathers them into shared session runs.
        var answers = await Task.WhenAll(Enumerable.Range(0, 30).Select(async i =>
        {
            var body = new StringContent(JsonSerializer.Serialize(new { model = "minilm-intent@1", texts = new[] { texts[i % texts.Length] } }), Encoding.UTF8, "application/json");
            var response = await client.PostAsync("/score/batch", body);
            response.EnsureSuccessStatusCode();
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("results")[0].GetProperty("intent").GetString();
        }));

        Assert.Equal(Enumerable.Range(0, 30).Select(i => expected[i % texts.Length]), answers);
        Assert.Equal(["positive", "unsubscribe", "out-of-office", "objection"], expected.Take(4));
    }

    public void Dispose() => _temp.Dispose();
}
