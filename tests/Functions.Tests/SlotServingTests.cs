using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Verdict.Experimentation.Experiments;

namespace Verdict.Functions.Tests;

/// <summary>Traffic that names no experiment is served by a champion slot, and follows promote and rollback without a restart.</summary>
public sealed class SlotServingTests(FunctionsFixture fixture) : IClassFixture<FunctionsFixture>
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> probe, int seconds = 30)
    {
        // Waits for the background slot read the last call started; the clock that decides when it starts is fake.
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (await probe())
            {
                return true;
            }
            await Task.Delay(50);
        }
        return await probe();
    }

    private async Task<ExperimentLifecycle> DecidedExperimentAsync(string id, string slot)
    {
        var lifecycle = new ExperimentLifecycle(new ExperimentStore(new BlobContainerClient(fixture.Azurite.ConnectionString, ExperimentStore.DefaultContainer)));
        await lifecycle.CreateAsync(new ExperimentDefinition
        {
            Id = id, Slot = slot, Seed = id, Baseline = 0.8, MinimumDetectableEffect = 0.03,
            Arms = [new ArmDefinition("champion", 0.5, "replies@1"), new ArmDefinition("challenger", 0.5, "replies@2")],
        });
        await lifecycle.StartAaAsync(id);
        await lifecycle.StartAbAsync(id, null, "tests");
        await lifecycle.DecideAsync(id, "challenger", "tests");
        return lifecycle;
    }

    [Fact]
    public async Task DefaultTraffic_MovesToTheWinnerAfterPromote_AndBackAfterRollback_WithinTheRefreshInterval_WithoutARestart()
    {
        var lifecycle = await DecidedExperimentAsync("exp-slot", "support");
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = fixture.App("log-slot", settings: new Dictionary<string, string> { ["Verdict:DefaultSlot"] = "support" })
            .WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(clock)));
        using var client = app.CreateClient();
        var refresh = app.Services.GetRequiredService<FunctionsOptions>().SlotRefresh;
        async Task<string> ServedAsync()
        {
            var response = await client.PostAsync("/api/score", Json("""{"body":"Happy to chat next week"}"""));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return doc.RootElement.GetProperty("model").GetString()!;
        }

        // Nothing promoted into the slot yet: the default model answers.
        Assert.Equal("replies@1", await ServedAsync());

        await lifecycle.PromoteAsync("exp-slot");
        Assert.Equal("replies@1", await ServedAsync());
        clock.Advance(refresh);
        Assert.True(await EventuallyAsync(async () => await ServedAsync() == "replies@2"), "the promoted model did not take over");
        Assert.True(refresh <= TimeSpan.FromSeconds(30));

        // What the slot's champion answered is logged in the slot's own partition, for drift and retraining.
        var served = (await fixture.LogAsync("log-slot")).Where(e => e.GetProperty("type").GetString() == "served").ToList();
        Assert.Contains(served, e => e.GetProperty("model").GetString() == "replies@2" && e.GetProperty("slot").GetString() == "support");
        var partitions = new Azure.Storage.Blobs.BlobContainerClient(fixture.Azurite.ConnectionString, "log-slot").GetBlobs().Select(b => b.Name.Split('/')[0]).Distinct();
        Assert.Equal(["_slot-support"], partitions);

        await lifecycle.RollbackAsync("exp-slot", "tests");
        Assert.Equal("replies@2", await ServedAsync());
        clock.Advance(refresh);
        Assert.True(await EventuallyAsync(async () => await ServedAsync() == "replies@1"), "the rollback did not take effect");
    }

    [Fact]
    public async Task ASlotNamedOnTheRequest_IsServedByItsChampion()
    {
        var lifecycle = await DecidedExperimentAsync("exp-named-slot", "named");
        await lifecycle.PromoteAsync("exp-named-slot");
        using var app = fixture.App("log-named-slot");
        using var client = app.CreateClient();

        var response = await client.PostAsync("/api/score", Json("""{"slot":"named","body":"Send me the pricing"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("replies@2", doc.RootElement.GetProperty("model").GetString());
    }

    [Theory]
    [InlineData("""{"slot":"nobody-promoted-here","body":"hi"}""", HttpStatusCode.NotFound, "slot 'nobody-promoted-here' has no champion")]
    [InlineData("""{"slot":"named","experiment":"exp-model","body":"hi"}""", HttpStatusCode.BadRequest, "name an experiment, a model or a slot, not several")]
    [InlineData("""{"slot":"","body":"hi"}""", HttpStatusCode.BadRequest, "slot must not be empty")]
    [InlineData("""{"slot":"../etc","body":"hi"}""", HttpStatusCode.BadRequest, "slot must be 1 to 63 letters, digits")]
    public async Task ABadSlot_IsRefusedNamingTheField(string body, HttpStatusCode status, string message)
    {
        using var app = fixture.App("log-bad-slot");
        using var client = app.CreateClient();

        var response = await client.PostAsync("/api/score", Json(body));

        Assert.Equal(status, response.StatusCode);
        string text = await response.Content.ReadAsStringAsync();
        Assert.Contains("slot", text, StringComparison.Ordinal);
        Assert.Contains(message, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeptBodies_AreWrittenOnlyForASlotThatOptsIn_AndNeverToTheEventLog()
    {
        await (await DecidedExperimentAsync("exp-kept", "kept")).PromoteAsync("exp-kept");
        await (await DecidedExperimentAsync("exp-unkept", "unkept")).PromoteAsync("exp-unkept");
        using var app = fixture.App("log-kept", settings: new Dictionary<string, string>
        {
            ["Verdict:KeepBodiesForSlots"] = "kept",
            ["Verdict:BodyContainer"] = "bodies-kept",
        });
        using var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/score", Json("""{"id":"k-1","slot":"kept","subject":"Pricing","body":"Send me the price list"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/score", Json("""{"id":"k-2","slot":"unkept","body":"Not kept: this slot did not opt in"}"""))).StatusCode);

        var kept = await fixture.LogAsync("bodies-kept");
        var body = Assert.Single(kept);
        Assert.Equal(("body", "k-1", "kept", "Pricing\nSend me the price list"),
            (body.GetProperty("type").GetString(), body.GetProperty("id").GetString(), body.GetProperty("slot").GetString(), body.GetProperty("text").GetString()));
        Assert.DoesNotContain(await fixture.LogAsync("log-kept"), e => e.GetRawText().Contains("price list", StringComparison.Ordinal));
    }
}
