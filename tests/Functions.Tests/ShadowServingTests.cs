using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Verdict.Experimentation.Experiments;
using Verdict.TestUtilities;

namespace Verdict.Functions.Tests;

/// <summary>An experiment with a shadow model, end to end: requests from the Azure SDK for JavaScript, the app on Azurite, the log it writes.</summary>
public sealed class ShadowServingTests(FunctionsFixture fixture) : IClassFixture<FunctionsFixture>, IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task EveryScoredEmail_GetsOneShadowEvent_InTheExperimentsPartition()
    {
        var lifecycle = new ExperimentLifecycle(new ExperimentStore(new BlobContainerClient(fixture.Azurite.ConnectionString, ExperimentStore.DefaultContainer)));
        await lifecycle.CreateAsync(new ExperimentDefinition
        {
            Id = "exp-shadow", Seed = "shadow", Baseline = 0.8, MinimumDetectableEffect = 0.03,
            Arms = [new ArmDefinition("champion", 0.5, "replies@1"), new ArmDefinition("challenger", 0.5, "replies@2")],
            // replies@3 is a GPU-target model; without a GPU service the app scores it itself.
            ShadowModels = ["replies@3"],
        });
        await lifecycle.StartAaAsync("exp-shadow");
        await lifecycle.StartAbAsync("exp-shadow", null, "tests");
        string hostJson = _temp.Combine("host.json");
        File.WriteAllText(hostJson, """
            {"version":"2.0","extensions":{"queues":{"batchSize":8,"newBatchThreshold":4,"maxPollingInterval":"00:00:00.200",
             "visibilityTimeout":"00:00:00","maxDequeueCount":3,"messageEncoding":"base64"}}}
            """);
        const int Emails = 30;
        string batch = _temp.Combine("messages.json");
        File.WriteAllText(batch, JsonSerializer.Serialize(Enumerable.Range(0, Emails).Select(i => new
        {
            text = $$"""{"id":"sh-{{i}}","experiment":"exp-shadow","unit":"contact-{{i}}","body":"Could we move our call to next week? ({{i}})"}""",
        })));

        using (var app = fixture.App("log-shadow", settings: new Dictionary<string, string> { ["Verdict:LocalQueues"] = "true", ["Verdict:HostJson"] = hostJson }))
        {
            _ = app.Services;
            var (code, _, stderr) = await TestProcess.RunAsync("node", [RepositoryPaths.QueueClientScript, "send-file", "score-requests", batch], TimeSpan.FromMinutes(1),
                new Dictionary<string, string> { ["VERDICT_STORAGE_CONNECTION_STRING"] = fixture.Azurite.ConnectionString });
            Assert.True(code == 0, stderr);
            var requests = new QueueClient(fixture.Azurite.ConnectionString, "score-requests");
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while ((await requests.GetPropertiesAsync()).Value.ApproximateMessagesCount > 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            // Stopping the app shadows what is still queued and flushes the log: nothing is lost on a scale-in.
        }

        var log = await fixture.LogAsync("log-shadow");
        var scored = log.Where(e => e.GetProperty("type").GetString() == "scored").ToList();
        var shadows = log.Where(e => e.GetProperty("type").GetString() == "shadow").ToList();
        Assert.Equal(Emails, scored.Count);
        Assert.Contains(scored, e => e.GetProperty("model").GetString() == "replies@1");
        Assert.Contains(scored, e => e.GetProperty("model").GetString() == "replies@2");
        Assert.Equal(scored.Select(e => e.GetProperty("id").GetString()!).Order(StringComparer.Ordinal), shadows.Select(e => e.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));
        Assert.All(shadows, e =>
        {
            Assert.Equal(("exp-shadow", "replies@3"), (e.GetProperty("experiment").GetString(), e.GetProperty("model").GetString()));
            Assert.False(string.IsNullOrEmpty(e.GetProperty("intent").GetString()));
            Assert.InRange(e.GetProperty("confidence").GetDouble(), 0, 1);
        });
        Assert.Equal(["exp-shadow"], new BlobContainerClient(fixture.Azurite.ConnectionString, "log-shadow").GetBlobs().Select(b => b.Name.Split('/')[0]).Distinct());
    }
}
