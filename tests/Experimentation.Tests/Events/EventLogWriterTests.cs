using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Events;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Events;

/// <summary>The Blob event log: partitioning, group commit, rollover, conditional appends and reading back by experiment and time.</summary>
public sealed class EventLogWriterTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static readonly DateTimeOffset Ten = new(2026, 11, 22, 10, 15, 0, TimeSpan.Zero);

    private static ScoredEvent Scored(string id, DateTimeOffset ts, string experiment = "exp-1", string arm = "champion") =>
        new(id, ts, experiment, arm, "u-" + id, "replies@1", "billing", 0.9, EventPhase.AB);

    private static async Task<List<string>> BlobNamesAsync(BlobContainerClient container)
    {
        var names = new List<string>();
        await foreach (var item in container.GetBlobsAsync())
        {
            names.Add(item.Name);
        }
        return names;
    }

    private static async Task<string[]> LinesAsync(BlobContainerClient container)
    {
        var lines = new List<string>();
        foreach (string name in await BlobNamesAsync(container))
        {
            var content = await container.GetBlobClient(name).DownloadContentAsync();
            lines.AddRange(content.Value.Content.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        return [.. lines];
    }

    [Fact]
    public async Task Append_PartitionsByExperimentHourAndInstance_AndUnattributedOutcomesApart()
    {
        var container = azurite.Container("log-partitions");
        await using (var writer = new EventLogWriter(container, new EventLogWriterOptions { InstanceId = "fn-a" }))
        {
            await writer.AppendAsync(Scored("s1", Ten));
            await writer.AppendAsync(Scored("s2", Ten.AddHours(2), experiment: "exp-2"));
            await writer.AppendAsync(new OutcomeEvent("s1", Ten.AddMinutes(5), "billing", 30.5));
            await writer.AppendAsync(new OutcomeEvent("s2", Ten.AddHours(2), null, 12, experiment: "exp-2"));
        }

        var names = await BlobNamesAsync(container);
        Assert.Equal(
            ["_unattributed/2026-11-22/10/fn-a-00000.jsonl", "exp-1/2026-11-22/10/fn-a-00000.jsonl", "exp-2/2026-11-22/12/fn-a-00000.jsonl"],
            names.Order(StringComparer.Ordinal));
        var lines = await LinesAsync(container);
        Assert.Contains(
            """{"type":"scored","id":"s1","ts":"2026-11-22T10:15:00Z","experiment":"exp-1","arm":"champion","unit":"u-s1","model":"replies@1","intent":"billing","confidence":0.9,"phase":"ab"}""",
            lines);
        Assert.Contains("""{"type":"outcome","id":"s1","ts":"2026-11-22T10:20:00Z","trueIntent":"billing","handlingSeconds":30.5}""", lines);
        Assert.Contains("""{"type":"outcome","id":"s2","ts":"2026-11-22T12:15:00Z","experiment":"exp-2","handlingSeconds":12}""", lines);
    }

    [Fact]
    public async Task Append_ManyConcurrentCallers_ShareGroupCommitsAndEveryEventLandsOnce()
    {
        var container = azurite.Container("log-group");
        await using var writer = new EventLogWriter(container, new EventLogWriterOptions { InstanceId = "fn-b" });

        await Task.WhenAll(Enumerable.Range(0, 400).Select(i => writer.AppendAsync(Scored($"g{i}", Ten)).AsTask()));

        var stats = writer.Statistics;
        Assert.Equal(400, stats.EventsWritten);
        Assert.True(stats.BlocksAppended < 100, $"{stats.BlocksAppended} blocks for 400 concurrent events: callers were not grouped");
        var ids = (await LinesAsync(container)).Select(l => l.Split("\"id\":\"")[1].Split('"')[0]).ToList();
        Assert.Equal(400, ids.Count);
        Assert.Equal(400, ids.Distinct().Count());
    }

    [Fact]
    public async Task Append_BlockLimitReached_RollsOverToTheNextBlob()
    {
        var container = azurite.Container("log-rollover");
        await using (var writer = new EventLogWriter(container, new EventLogWriterOptions { InstanceId = "fn-c", MaxBlocksPerBlob = 3 }))
        {
            for (int i = 0; i < 7; i++)
            {
                await writer.AppendAsync(Scored($"r{i}", Ten));
            }
        }

        var names = (await BlobNamesAsync(container)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["exp-1/2026-11-22/10/fn-c-00000.jsonl", "exp-1/2026-11-22/10/fn-c-00001.jsonl", "exp-1/2026-11-22/10/fn-c-00002.jsonl"], names);
        var blocks = new List<int>();
        foreach (string name in names)
        {
            blocks.Add((await container.GetAppendBlobClient(name).GetPropertiesAsync()).Value.BlobCommittedBlockCount);
        }
        Assert.Equal([3, 3, 1], blocks);
    }

    [Fact]
    public async Task Append_BlobAppendedBehindTheWritersBack_ContinuesInANewBlobWithoutLoss()
    {
        var container = azurite.Container("log-conflict");
        await using var writer = new EventLogWriter(container, new EventLogWriterOptions { InstanceId = "fn-d" });
        await writer.AppendAsync(Scored("c1", Ten));
        var blob = container.GetAppendBlobClient("exp-1/2026-11-22/10/fn-d-00000.jsonl");
        using (var foreign = new MemoryStream(Encoding.UTF8.GetBytes("{\"type\":\"x\",\"id\":\"z\",\"ts\":\"2026-11-22T10:00:00Z\"}\n")))
        {
            await blob.AppendBlockAsync(foreign);
        }

        await writer.AppendAsync(Scored("c2", Ten));

        Assert.Equal(2, (await BlobNamesAsync(container)).Count);
        var lines = await LinesAsync(container);
        Assert.Single(lines, l => l.Contains("\"id\":\"c2\"", StringComparison.Ordinal));
        Assert.Equal(3, lines.Length);
    }

    [Fact]
    public async Task Enqueue_ReturnsBeforeDurability_ADurableAppendCarriesItAlong()
    {
        var container = azurite.Container("log-fast");
        await container.CreateIfNotExistsAsync();
        await using var writer = new EventLogWriter(container, new EventLogWriterOptions { InstanceId = "fn-e", FlushInterval = TimeSpan.FromMinutes(1) });

        await writer.EnqueueAsync(Scored("f1", Ten));
        await Task.Delay(300);
        Assert.Empty(await BlobNamesAsync(container));

        await writer.AppendAsync(Scored("f2", Ten));
        var lines = await LinesAsync(container);
        Assert.Equal(2, lines.Length);
        Assert.Contains("\"id\":\"f1\"", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enqueue_FlushInterval_BoundsHowLongAnEventWaits()
    {
        var container = azurite.Container("log-interval");
        await using var writer = new EventLogWriter(container, new EventLogWriterOptions { InstanceId = "fn-f", FlushInterval = TimeSpan.FromMilliseconds(100) });

        await writer.EnqueueAsync(Scored("i1", Ten));
        for (int i = 0; i < 100 && writer.Statistics.EventsWritten == 0; i++)
        {
            await Task.Delay(50);
        }

        var stats = writer.Statistics;
        Assert.Equal(1, stats.EventsWritten);
        Assert.InRange(stats.MaxWait, TimeSpan.FromMilliseconds(90), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Enqueue_ManyFlushesWhileCallersKeepWriting_EveryLineLandsIntactOnce()
    {
        // Buffered lines share reusable chunks: a chunk handed out again too early would corrupt lines still waiting.
        var container = azurite.Container("log-reuse");
        await using var writer = new EventLogWriter(container, new EventLogWriterOptions { InstanceId = "fn-r", FlushInterval = TimeSpan.FromMilliseconds(5) });
        var expected = new HashSet<string>(StringComparer.Ordinal);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(caller => Task.Run(async () =>
        {
            for (int i = 0; i < 2_500; i++)
            {
                string id = $"r{caller}-{i}-{new string('p', i % 97)}";
                lock (expected)
                {
                    expected.Add(id);
                }
                await writer.EnqueueAsync(Scored(id, Ten));
                if (i % 500 == 0)
                {
                    await writer.FlushAsync();
                }
            }
        })));
        await writer.FlushAsync();

        var lines = await LinesAsync(container);
        var ids = lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!).ToList();
        Assert.True(writer.Statistics.Flushes > 4, $"only {writer.Statistics.Flushes} flushes: the test did not cycle chunks");
        Assert.Equal(expected.Count, ids.Count);
        Assert.True(expected.SetEquals(ids));
    }

    [Fact]
    public async Task Dispose_WritesWhatIsStillBuffered()
    {
        var container = azurite.Container("log-dispose");
        var writer = new EventLogWriter(container, new EventLogWriterOptions { FlushInterval = TimeSpan.FromMinutes(1) });
        for (int i = 0; i < 50; i++)
        {
            await writer.EnqueueAsync(Scored($"d{i}", Ten));
        }

        await writer.DisposeAsync();

        Assert.Equal(50, (await LinesAsync(container)).Length);
        Assert.StartsWith($"exp-1/2026-11-22/10/{writer.InstanceId}-", Assert.Single(await BlobNamesAsync(container)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Append_StorageUnreachable_FailsTheCallerAndCountsTheLoss()
    {
        var options = new BlobClientOptions();
        options.Retry.MaxRetries = 0;
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(2);
        var unreachable = new BlobContainerClient(
            $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AzuriteFixture.AccountKey};BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;",
            "events", options);
        await using var writer = new EventLogWriter(unreachable, new EventLogWriterOptions { MaxAttempts = 1 });

        var error = await Assert.ThrowsAsync<EventLogWriteException>(() => writer.AppendAsync(Scored("x1", Ten)).AsTask());

        Assert.Contains("exp-1/2026-11-22/10/", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, writer.Statistics.EventsLost);
        Assert.Equal(0, writer.Statistics.EventsWritten);
    }

    [Fact]
    public async Task Events_InvalidFields_AreRefusedNamingTheField()
    {
        Assert.Equal("confidence", Assert.Throws<ArgumentOutOfRangeException>(() => new ScoredEvent("a", Ten, "exp-1", "champion", "u", "m@1", "billing", 1.5)).ParamName);
        Assert.Equal("arm", Assert.Throws<ArgumentException>(() => new ScoredEvent("a", Ten, "exp-1", "", "u", "m@1", "billing", 0.5)).ParamName);
        Assert.Equal("handlingSeconds", Assert.Throws<ArgumentOutOfRangeException>(() => new OutcomeEvent("a", Ten, null, -1)).ParamName);
        Assert.Equal("handlingSeconds", Assert.Throws<ArgumentOutOfRangeException>(() => new OutcomeEvent("a", Ten, null, double.NaN)).ParamName);
        Assert.Equal("id", Assert.Throws<ArgumentException>(() => new ReplyEvent("", Ten, "positive")).ParamName);

        await using var writer = new EventLogWriter(azurite.Container("log-invalid"));
        var error = await Assert.ThrowsAsync<ArgumentException>(() => writer.AppendAsync(Scored("a", Ten, experiment: "../x")).AsTask());
        Assert.Contains("'../x'", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, writer.Statistics.EventsWritten);
    }

    [Fact]
    public async Task ReadLog_ExperimentAndTimeRange_ReturnsItsEventsWithUnattributedOutcomes()
    {
        var container = azurite.Container("log-read");
        await using (var writer = new EventLogWriter(container))
        {
            var events = new List<LogEvent>();
            for (int i = 0; i < 40; i++)
            {
                var ts = Ten.AddHours(i % 2 == 0 ? 0 : 3);
                events.Add(Scored($"e{i}", ts, arm: i % 4 < 2 ? "champion" : "challenger"));
                events.Add(new OutcomeEvent($"e{i}", ts.AddMinutes(1), "billing", 10 + i));
                events.Add(Scored($"other{i}", ts, experiment: "exp-other"));
            }
            await writer.AppendAsync(events);
        }

        var all = await ExperimentAnalysis.RunAsync(new AnalysisRequest
        {
            Events = ["log://log-read"], Experiment = "exp-1", BlobConnectionString = azurite.ConnectionString,
        });
        var late = await ExperimentAnalysis.RunAsync(new AnalysisRequest
        {
            Events = ["log://log-read"], Experiment = "exp-1", BlobConnectionString = azurite.ConnectionString, Since = Ten.AddSeconds(30),
        });

        Assert.Equal(40, all.Arms.Sum(a => a.Exposures));
        Assert.Equal(0, all.Log.OtherExperiments);
        Assert.Equal(40, all.Metrics.Single(m => m.Metric == Metrics.HandlingSeconds.Name).Arms.Sum(a => a.N));
        Assert.Equal(20, late.Arms.Sum(a => a.Exposures));
        Assert.Equal(20, late.Metrics.Single(m => m.Metric == Metrics.HandlingSeconds.Name).Arms.Sum(a => a.N));
        Assert.Equal(20, late.Log.BeforeSince);
    }
}
