using Azure.Storage.Blobs;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Verdict.TestUtilities;

namespace Verdict.Functions.Tests;

/// <summary>The app's compaction timer (locally the same code the Functions timer trigger runs), on a fake clock.</summary>
public sealed class CompactionTimerTests(FunctionsFixture fixture) : IClassFixture<FunctionsFixture>
{
    private static async Task<List<string>> NamesAsync(BlobContainerClient container)
    {
        var names = new List<string>();
        await foreach (var item in container.GetBlobsAsync())
        {
            names.Add(item.Name);
        }
        return names;
    }

    [Fact]
    public async Task TheTimerFires_AndCompactsTheClosedDay_LeavingTodayAlone()
    {
        var events = new BlobContainerClient(fixture.Azurite.ConnectionString, "log-compaction-timer");
        await events.CreateIfNotExistsAsync();
        var log = new SyntheticLog { Experiment = "exp-compact", Phase = "ab", UnitsPerArm = 50, Seed = 3 };
        var now = new DateTimeOffset(2026, 11, 3, 9, 0, 0, TimeSpan.Zero);
        await events.GetBlobClient("exp-compact/2026-11-01/10/fn-a-00000.jsonl").UploadAsync(BinaryData.FromString(string.Join("\n", log.Lines())));
        await events.GetBlobClient("exp-compact/2026-11-03/08/fn-a-00000.jsonl").UploadAsync(BinaryData.FromString(string.Join("\n", log.Lines())));

        var clock = new FakeTimeProvider(now);
        using var app = fixture.App(events.Name, settings: new Dictionary<string, string> { ["Verdict:AutopilotInterval"] = "00:00:00" })
            .WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(clock)));
        _ = app.Server;
        var interval = app.Services.GetRequiredService<FunctionsOptions>().CompactionInterval;

        clock.Advance(interval - TimeSpan.FromSeconds(1));
        Assert.DoesNotContain(await NamesAsync(events), n => n.EndsWith(".parquet", StringComparison.Ordinal));

        clock.Advance(TimeSpan.FromSeconds(1));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await NamesAsync(events)).Contains("exp-compact/2026-11-01/10/fn-a-00000.jsonl") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.Equal(["exp-compact/2026-11-01/compacted-001.parquet", "exp-compact/2026-11-03/08/fn-a-00000.jsonl"], (await NamesAsync(events)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ACompactionGraceUnderAnHour_StopsTheAppAsItStarts_NamingTheSetting()
    {
        using var app = fixture.App("log-bad-compaction", settings: new Dictionary<string, string> { ["Verdict:CompactAfter"] = "00:10:00" });

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => app.Services);

        Assert.Contains("Verdict:CompactAfter: must be at least one hour", error.Message, StringComparison.Ordinal);
    }
}
