using Azure.Storage.Blobs;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Verdict.Experimentation.Experiments;
using Verdict.TestUtilities;

namespace Verdict.Functions.Tests;

/// <summary>The app's autopilot timer (locally the same code the Functions timer trigger runs), on a fake clock.</summary>
public sealed class AutopilotTimerTests(FunctionsFixture fixture) : IClassFixture<FunctionsFixture>
{
    [Fact]
    public async Task TheTimerFires_AndMovesAnAaExperimentThatPassedToAb()
    {
        var store = new ExperimentStore(new BlobContainerClient(fixture.Azurite.ConnectionString, ExperimentStore.DefaultContainer));
        var lifecycle = new ExperimentLifecycle(store);
        await lifecycle.CreateAsync(new ExperimentDefinition
        {
            Id = "exp-timer", Seed = "timer", Baseline = 0.8, MinimumDetectableEffect = 0.1, Automation = new ExperimentAutomation { StartAb = true },
            Arms = [new ArmDefinition("champion", 0.5, "replies@1"), new ArmDefinition("challenger", 0.5, "replies@2")],
        });
        await lifecycle.StartAaAsync("exp-timer");
        var events = new BlobContainerClient(fixture.Azurite.ConnectionString, "log-timer");
        await events.CreateIfNotExistsAsync();
        var log = new SyntheticLog { Experiment = "exp-timer", Phase = "aa", UnitsPerArm = 600, Seed = 11 };
        await events.GetBlobClient("exp-timer/2026-11-01/00/aa.jsonl").UploadAsync(BinaryData.FromString(string.Join("\n", log.Lines())));

        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = fixture.App("log-timer").WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(clock)));
        _ = app.Server;
        var interval = app.Services.GetRequiredService<FunctionsOptions>().AutopilotInterval;

        clock.Advance(interval - TimeSpan.FromSeconds(1));
        Assert.Equal(ExperimentPhase.AA, (await store.GetAsync("exp-timer"))!.Definition.Phase);

        clock.Advance(TimeSpan.FromSeconds(1));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await store.GetAsync("exp-timer"))!.Definition.Phase != ExperimentPhase.AB && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.Equal(ExperimentPhase.AB, (await store.GetAsync("exp-timer"))!.Definition.Phase);
        Assert.Equal("aa-passed", Assert.Single(await store.ListAuditAsync("exp-timer")).Status);

        // The report shows the timeline: who moved the experiment, and on what verdict.
        using var client = app.CreateClient();
        string html = await client.GetStringAsync("/api/experiments/exp-timer/report?format=html");
        Assert.Contains("<section id=\"lifecycle\">", html, StringComparison.Ordinal);
        Assert.Contains("<td>aa → ab</td><td>autopilot</td><td>aa-passed</td>", html, StringComparison.Ordinal);
        string json = await client.GetStringAsync("/api/experiments/exp-timer/report");
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var last = doc.RootElement.GetProperty("lifecycle").EnumerateArray().Last();
        Assert.Equal(("aa", "ab", "autopilot"), (last.GetProperty("from").GetString(), last.GetProperty("to").GetString(), last.GetProperty("by").GetString()));
    }
}
