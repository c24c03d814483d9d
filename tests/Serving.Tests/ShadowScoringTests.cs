using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Experiments;
using Verdict.Scoring;
using Verdict.TestUtilities;

namespace Verdict.Serving.Tests;

/// <summary>An experiment's shadow models score its served emails after the answers, one <c>shadow</c> event per prediction.</summary>
public sealed class ShadowScoringTests(PublishedModelFixture fixture) : IClassFixture<PublishedModelFixture>
{
    private static readonly SemaphoreSlim Publishing = new(1, 1);

    private async Task<ExperimentStore> ShadowedExperimentAsync(string id, params string[] shadowModels)
    {
        await Publishing.WaitAsync();
        try
        {
            if (!(await fixture.Runtime.Registry.ListAsync()).Any(v => v.Reference.ToString() == "replies@5"))
            {
                using var temp = new TempDirectory();
                await fixture.Runtime.Registry.PublishAsync(TestModels.CopyLinear(temp.Combine("p5"), "5"));
            }
        }
        finally
        {
            Publishing.Release();
        }
        var store = new ExperimentStore(new BlobContainerClient(fixture.Azurite.ConnectionString, ExperimentStore.DefaultContainer));
        var lifecycle = new ExperimentLifecycle(store);
        await lifecycle.CreateAsync(new ExperimentDefinition
        {
            Id = id, Seed = id, Baseline = 0.8, MinimumDetectableEffect = 0.03,
            Arms = [new ArmDefinition("champion", 0.5, "replies@1"), new ArmDefinition("challenger", 0.5, "replies@5")],
            ShadowModels = shadowModels.Length > 0 ? shadowModels : ["replies@5"],
        });
        await lifecycle.StartAaAsync(id);
        await lifecycle.StartAbAsync(id, null, "tests");
        return store;
    }

    private (EmailService Service, ShadowScoring Shadows, EventLogWriter Log) Service(ExperimentStore store, string log, int capacity = 100)
    {
        var writer = new EventLogWriter(new BlobContainerClient(fixture.Azurite.ConnectionString, log));
        var shadows = new ShadowScoring(fixture.Runtime, writer, capacity, gpu: null, TimeProvider.System, NullLogger<ShadowScoring>.Instance);
        var service = new EmailService(fixture.Runtime, new ArmAssigner(store), writer,
            new ServingOptions { DefaultModel = ModelReference.Parse("replies@1") }, gpu: null, TimeProvider.System, NullLogger<EmailService>.Instance, shadows: shadows);
        return (service, shadows, writer);
    }

    private async Task<List<JsonElement>> LogAsync(string container)
    {
        var client = new BlobContainerClient(fixture.Azurite.ConnectionString, container);
        var events = new List<JsonElement>();
        await foreach (var blob in client.GetBlobsAsync())
        {
            string text = (await client.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToString();
            events.AddRange(text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()));
        }
        return events;
    }

    private static ScoreRequest Email(int i, string experiment) => new($"s-{i}", $"contact-{i}", experiment, null, "Re: pricing", $"Could you send the price list for {i} seats?");

    [Fact]
    public async Task EveryEmailServedByAnotherModel_GetsOneShadowEvent_AfterItsAnswer()
    {
        var (service, shadows, log) = Service(await ShadowedExperimentAsync("exp-shadowed"), "log-shadowed");

        var answers = new List<JsonElement>();
        for (int i = 0; i < 40; i++)
        {
            var result = await service.ScoreAsync([Email(i, "exp-shadowed")], durable: true, CancellationToken.None);
            answers.Add(JsonDocument.Parse(result.Value![0]).RootElement.Clone());
        }
        var servedByChampion = answers.Where(a => a.GetProperty("model").GetString() == "replies@1").Select(a => a.GetProperty("scoringId").GetString()!).ToList();
        Assert.InRange(servedByChampion.Count, 5, 35);

        // Every answer came back with its shadow work still queued: no answer waited for a shadow model.
        Assert.Equal(servedByChampion.Count, shadows.Pending);
        Assert.DoesNotContain(await LogAsync("log-shadowed"), e => e.GetProperty("type").GetString() == "shadow");

        using (var stop = new CancellationTokenSource())
        {
            await stop.CancelAsync();
            // Stopped: what is already queued is still shadowed before it returns.
            await shadows.RunAsync(stop.Token);
        }
        await log.FlushAsync();

        var events = await LogAsync("log-shadowed");
        var shadowEvents = events.Where(e => e.GetProperty("type").GetString() == "shadow").ToList();
        // One per email the champion served; none for the emails the shadow model served itself.
        Assert.Equal(servedByChampion.Order(StringComparer.Ordinal), shadowEvents.Select(e => e.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));
        foreach (var e in shadowEvents)
        {
            Assert.Equal(("exp-shadowed", "replies@5"), (e.GetProperty("experiment").GetString(), e.GetProperty("model").GetString()));
            var served = answers.Single(a => a.GetProperty("scoringId").GetString() == e.GetProperty("id").GetString());
            // The same package under another version: the same intent and confidence as the served answer.
            Assert.Equal(served.GetProperty("intent").GetString(), e.GetProperty("intent").GetString());
            Assert.Equal(served.GetProperty("confidence").GetRawText(), e.GetProperty("confidence").GetRawText());
            Assert.True(e.GetProperty("latencyMs").GetDouble() >= 0);
        }
        Assert.Equal(40, events.Count(e => e.GetProperty("type").GetString() == "scored"));
    }

    [Fact]
    public async Task AFullShadowQueue_LeavesEmailsUnshadowed_AndServingUntouched()
    {
        var (service, shadows, log) = Service(await ShadowedExperimentAsync("exp-shadow-full"), "log-shadow-full", capacity: 1);

        var results = new List<ServiceResult<byte[][]>>();
        for (int i = 0; i < 40; i++)
        {
            results.Add(await service.ScoreAsync([Email(i, "exp-shadow-full")], durable: true, CancellationToken.None));
        }
        using (var stop = new CancellationTokenSource())
        {
            await stop.CancelAsync();
            await shadows.RunAsync(stop.Token);
        }
        await log.FlushAsync();

        Assert.All(results, r => Assert.True(r.Succeeded));
        var events = await LogAsync("log-shadow-full");
        Assert.Equal(40, events.Count(e => e.GetProperty("type").GetString() == "scored"));
        Assert.Single(events, e => e.GetProperty("type").GetString() == "shadow");
    }

    [Fact]
    public async Task AShadowModelThatCannotScore_IsSkipped_AndTheOtherShadowsGoOn()
    {
        // ghost@1 was never published (the store takes the definition without the registry's check).
        var (service, shadows, log) = Service(await ShadowedExperimentAsync("exp-shadow-ghost", "ghost@1", "replies@5"), "log-shadow-ghost");

        for (int i = 0; i < 20; i++)
        {
            Assert.True((await service.ScoreAsync([Email(i, "exp-shadow-ghost")], durable: true, CancellationToken.None)).Succeeded);
        }
        using (var stop = new CancellationTokenSource())
        {
            await stop.CancelAsync();
            await shadows.RunAsync(stop.Token);
        }
        await log.FlushAsync();

        var events = await LogAsync("log-shadow-ghost");
        int servedByChampion = events.Count(e => e.GetProperty("type").GetString() == "scored" && e.GetProperty("model").GetString() == "replies@1");
        var shadowEvents = events.Where(e => e.GetProperty("type").GetString() == "shadow").ToList();
        Assert.True(servedByChampion > 0);
        Assert.Equal(servedByChampion, shadowEvents.Count);
        Assert.All(shadowEvents, e => Assert.Equal("replies@5", e.GetProperty("model").GetString()));
    }

    [Fact]
    public void AShadowModel_MustBeAPinnedReference_NamedOnce_InAModelExperiment()
    {
        var definition = new ExperimentDefinition
        {
            Id = "exp-bad-shadow", Seed = "s", Baseline = 0.8, MinimumDetectableEffect = 0.03,
            Arms = [new ArmDefinition("a", 0.5, "replies@1"), new ArmDefinition("b", 0.5, "replies@2")],
            ShadowModels = ["replies", "replies@3", "replies@3"],
        };

        var problems = ExperimentValidation.Problems(definition);

        Assert.Equal(["shadowModels[0] 'replies' must be a pinned model reference name@version", "shadowModels[2] 'replies@3' is named twice"], problems);
        Assert.Contains("shadowModels: only a model experiment can shadow", ExperimentValidation.Problems(definition with { Kind = ExperimentKind.Template, Arms = [new("a", 0.5, "t-1"), new("b", 0.5, "t-2")], ShadowModels = ["replies@3"] }));
    }
}
