using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Events;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Events;

/// <summary>
/// Compaction of the event log against Azurite: closed days become one Parquet file each and their hourly blobs go, and
/// the log reads the same before, during and after: the built-in reader from Blob or from a local copy, and DuckDB.
/// </summary>
public sealed class LogCompactorTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IDisposable
{
    private static readonly DateTimeOffset Day1 = new(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Three days of an A/B from two instances, unattributed outcomes, replies of a template experiment, and malformed lines.</summary>
    private static async Task WriteLogAsync(BlobContainerClient container)
    {
        var rng = new Random(7);
        foreach (string instance in new[] { "fn-a", "fn-b" })
        {
            await using var writer = new EventLogWriter(container, new EventLogWriterOptions { InstanceId = instance });
            var events = new List<LogEvent>();
            for (int i = 0; i < 300; i++)
            {
                var ts = Day1.AddMinutes(rng.Next(3 * 24 * 60));
                string id = $"{instance}-{i}";
                string arm = rng.Next(2) == 0 ? "champion" : "challenger";
                events.Add(new ScoredEvent(id, ts, "exp-1", arm, id, arm + "@1", rng.Next(3) == 0 ? "billing" : "cancel", rng.NextDouble(), EventPhase.AB));
                if (rng.Next(4) > 0)
                {
                    events.Add(new OutcomeEvent(id, ts.AddMinutes(rng.Next(600)), rng.Next(2) == 0 ? "billing" : "cancel", rng.Next(20, 400)));
                }
                if (rng.Next(10) == 0)
                {
                    // A duplicate exposure, later: the earliest wins.
                    events.Add(new ScoredEvent(id, ts.AddMinutes(5), "exp-1", arm, id, arm + "@1", "billing", 0.5, EventPhase.AB));
                }
            }
            await writer.AppendAsync(events);
        }
        // Lines the reader calls malformed, appended as a broken writer would.
        var broken = container.GetAppendBlobClient("exp-1/2026-11-20/13/fn-c-00000.jsonl");
        await broken.CreateIfNotExistsAsync();
        await broken.AppendBlockAsync(new MemoryStream(Encoding.UTF8.GetBytes("{\"type\":\"scored\",\"id\":\"x1\"\nnot json\n\n{\"type\":\"outcome\",\"id\":\"fn-a-1\",\"ts\":7}\n")));
    }

    private AnalysisRequest Request(string container, DateTimeOffset? since = null) => new()
    {
        Events = [$"log://{container}"], Experiment = "exp-1", BlobConnectionString = azurite.ConnectionString, Since = since,
    };

    private static async Task<List<string>> NamesAsync(BlobContainerClient container)
    {
        var names = new List<string>();
        await foreach (var item in container.GetBlobsAsync())
        {
            names.Add(item.Name);
        }
        return names;
    }

    /// <summary>The analysis as JSON, less what names the files read (their number, and where malformed lines were) and any other reader's counts named.</summary>
    private static string Json(AnalysisResult result, params string[] counts)
    {
        var node = JsonNode.Parse(AnalysisFormats.ToJson(result))!.AsObject();
        var log = node["log"]!.AsObject();
        foreach (string field in counts.Append("sources").Append("malformedExamples"))
        {
            log.Remove(field);
        }
        return node.ToJsonString();
    }

    [Fact]
    public async Task CompactingClosedDays_KeepsTheLogsAnalysis_AndLeavesTheOpenDayAlone()
    {
        var container = azurite.Container("compact-days");
        await WriteLogAsync(container);
        var before = await ExperimentAnalysis.RunAsync(Request(container.Name));
        var beforeSince = await ExperimentAnalysis.RunAsync(Request(container.Name, Day1.AddDays(1).AddHours(12)));
        int hourlyBefore = (await NamesAsync(container)).Count;
        // Day 3 ends at 2026-11-23T00:00Z; with 6 hours' grace it is still open at 05:00.
        var compactor = new LogCompactor(container, new LogCompactionOptions { ClosedAfter = TimeSpan.FromHours(6), RowGroupLines = 1_000 }, new ManualTimeProvider(Day1.AddDays(3).AddHours(5)));

        var days = await compactor.RunOnceAsync();

        Assert.Equal(
            ["_unattributed/2026-11-20", "_unattributed/2026-11-21", "exp-1/2026-11-20", "exp-1/2026-11-21"],
            days.Select(d => $"{d.Partition}/{d.Day:yyyy-MM-dd}"));
        Assert.All(days, d => Assert.Equal(0, d.KeptChanged));
        var names = await NamesAsync(container);
        Assert.Contains("exp-1/2026-11-20/compacted-001.parquet", names);
        Assert.DoesNotContain(names, n => n.StartsWith("exp-1/2026-11-21/", StringComparison.Ordinal) && n.EndsWith(".jsonl", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("exp-1/2026-11-22/", StringComparison.Ordinal) && n.EndsWith(".jsonl", StringComparison.Ordinal));
        Assert.Equal(hourlyBefore - days.Sum(d => d.Deleted), names.Count(n => n.EndsWith(".jsonl", StringComparison.Ordinal)));
        var after = await ExperimentAnalysis.RunAsync(Request(container.Name));
        var afterSince = await ExperimentAnalysis.RunAsync(Request(container.Name, Day1.AddDays(1).AddHours(12)));
        Assert.Equal(Json(before), Json(after));
        // With --since, the reader skips the hourly blobs before it unread, but reads the compacted day that holds them and
        // leaves out their lines: only the counts of lines read and left out differ.
        Assert.Equal(Json(beforeSince, "lines", "beforeSince"), Json(afterSince, "lines", "beforeSince"));
        Assert.Equal(afterSince.Log.Lines - beforeSince.Log.Lines, afterSince.Log.BeforeSince - beforeSince.Log.BeforeSince);
        Assert.Equal(3, after.Log.MalformedLines);
        Assert.True(after.Log.DuplicateExposures > 0);

        // A second pass has nothing to do.
        Assert.Empty(await compactor.RunOnceAsync());
    }

    [Fact]
    public async Task ABlobLeftInPlaceByAnInterruptedPass_IsNotReadTwice_AndTheNextPassRemovesIt()
    {
        var container = azurite.Container("compact-interrupted");
        await WriteLogAsync(container);
        var before = await ExperimentAnalysis.RunAsync(Request(container.Name));
        // A lease makes the delete fail, as a pass stopped between the upload and the deletes would leave the blob.
        string leased = (await NamesAsync(container)).First(n => n.StartsWith("exp-1/2026-11-20/", StringComparison.Ordinal));
        var lease = container.GetBlobClient(leased).GetBlobLeaseClient();
        await lease.AcquireAsync(TimeSpan.FromSeconds(60));
        var compactor = new LogCompactor(container, new LogCompactionOptions(), new ManualTimeProvider(Day1.AddDays(4)));

        var first = await compactor.RunOnceAsync();
        var namesDuring = await NamesAsync(container);
        var during = await ExperimentAnalysis.RunAsync(Request(container.Name));
        await lease.ReleaseAsync();
        var second = await compactor.RunOnceAsync();
        var after = await ExperimentAnalysis.RunAsync(Request(container.Name));

        Assert.Equal(1, first.Single(d => d.Partition == "exp-1" && d.Day == DateOnly.FromDateTime(Day1.UtcDateTime)).KeptChanged);
        Assert.Contains(leased, namesDuring);
        Assert.Equal(Json(before), Json(during));
        var finished = Assert.Single(second);
        Assert.Equal((null, 1, "exp-1"), (finished.Compacted, finished.Deleted, finished.Partition));
        Assert.DoesNotContain(leased, await NamesAsync(container));
        Assert.Equal(Json(before), Json(after));
    }

    [Fact]
    public async Task ABlobWrittenAgainAfterItsDayWasCompacted_IsReadWhole_AndCompactedIntoTheNextFile()
    {
        var container = azurite.Container("compact-late");
        await WriteLogAsync(container);
        var compactor = new LogCompactor(container, new LogCompactionOptions(), new ManualTimeProvider(Day1.AddDays(4)));
        await compactor.RunOnceAsync();
        string late = "exp-1/2026-11-20/09/fn-a-00000.jsonl";
        var blob = container.GetAppendBlobClient(late);
        await blob.CreateIfNotExistsAsync();
        await blob.AppendBlockAsync(new MemoryStream(Encoding.UTF8.GetBytes(
            """{"type":"scored","id":"late-1","ts":"2026-11-20T09:30:00Z","experiment":"exp-1","arm":"champion","unit":"u-late","model":"champion@1","intent":"billing","confidence":0.7,"phase":"ab"}""" + "\n")));

        var withLate = await ExperimentAnalysis.RunAsync(Request(container.Name));
        var days = await compactor.RunOnceAsync();
        var after = await ExperimentAnalysis.RunAsync(Request(container.Name));

        Assert.Equal(601, withLate.Arms.Sum(a => a.Exposures));
        Assert.Equal("exp-1/2026-11-20/compacted-002.parquet", Assert.Single(days).Compacted);
        Assert.Equal(Json(withLate), Json(after));
    }

    [Fact]
    public async Task ACopyOfACompactedLog_ReadsTheSameLocally_WithTheBuiltInReaderAndWithDuckDb()
    {
        var container = azurite.Container("compact-copy");
        await WriteLogAsync(container);
        string jsonl = _dir.Combine("jsonl");
        await DownloadAsync(container, jsonl);
        // Leave one blob in place, as an interrupted pass would: the copy holds it and the compacted file that holds it.
        string leased = (await NamesAsync(container)).First(n => n.StartsWith("exp-1/2026-11-21/", StringComparison.Ordinal));
        var lease = container.GetBlobClient(leased).GetBlobLeaseClient();
        await lease.AcquireAsync(TimeSpan.FromSeconds(60));
        await new LogCompactor(container, new LogCompactionOptions(), new ManualTimeProvider(Day1.AddDays(4))).RunOnceAsync();
        await lease.ReleaseAsync();
        string compacted = _dir.Combine("compacted");
        await DownloadAsync(container, compacted);
        Assert.True(File.Exists(Path.Combine(compacted, leased)));

        var fromJsonl = await ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = [jsonl], Experiment = "exp-1" });
        var fromCompacted = await ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = [compacted], Experiment = "exp-1" });
        var duckOnJsonl = await Verdict.DuckDb.DuckDbEngine.AnalyzeAsync(new AnalysisRequest { Events = [jsonl], Experiment = "exp-1" }, new Verdict.DuckDb.DuckDbOptions { MemoryLimit = "512MB", Threads = 2 });
        var duckOnCompacted = await Verdict.DuckDb.DuckDbEngine.AnalyzeAsync(new AnalysisRequest { Events = [compacted], Experiment = "exp-1" }, new Verdict.DuckDb.DuckDbOptions { MemoryLimit = "512MB", Threads = 2 });

        Assert.Equal(Json(fromJsonl), Json(fromCompacted));
        Assert.Equal(3, fromCompacted.Log.MalformedLines);
        Assert.Equal(3, duckOnCompacted.Log.MalformedLines);
        Assert.Equal((duckOnJsonl.Verdict.Status, duckOnJsonl.Log.Lines), (duckOnCompacted.Verdict.Status, duckOnCompacted.Log.Lines));
        Assert.Equal(fromCompacted.Verdict.Status, duckOnCompacted.Verdict.Status);
        Assert.Equal(fromCompacted.Arms.Select(a => (a.Name, a.Exposures, a.Units)), duckOnCompacted.Arms.Select(a => (a.Name, a.Exposures, a.Units)));
        Assert.Equal(fromCompacted.Log.Lines, duckOnCompacted.Log.Lines);
    }

    [Fact]
    public void Options_OutOfRange_AreRefusedNamingTheSetting()
    {
        var container = azurite.Container("compact-options");

        var grace = Assert.Throws<ArgumentException>(() => new LogCompactor(container, new LogCompactionOptions { ClosedAfter = TimeSpan.FromMinutes(5) }));
        var groups = Assert.Throws<ArgumentException>(() => new LogCompactor(container, new LogCompactionOptions { RowGroupLines = 10 }));

        Assert.StartsWith("ClosedAfter must be at least one hour", grace.Message, StringComparison.Ordinal);
        Assert.StartsWith("RowGroupLines must be between 1,000 and 10,000,000", groups.Message, StringComparison.Ordinal);
    }

    private static async Task DownloadAsync(BlobContainerClient container, string folder)
    {
        foreach (string name in await NamesAsync(container))
        {
            string path = Path.Combine(folder, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await container.GetBlobClient(name).DownloadToAsync(path);
        }
    }
}
