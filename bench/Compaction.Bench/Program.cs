// Compaction benchmark: a day of the event log as the app writes it (hourly append blobs from several instances)
// against the same day compacted into one Parquet file per partition, in the same run: bytes stored, the
// compaction pass itself, and analysing the day from Blob (log://) and from a local copy (built-in reader and DuckDB).
//
//   dotnet run -c Release --project bench/Compaction.Bench [-- EMAILS, default 500000]
//
// Starts its own Azurite (tools/azurite, installed by scripts/install-tools.sh) with in-memory storage, as the tests do.
using System.Diagnostics;
using System.Globalization;
using Azure.Storage.Blobs;
using Verdict.DuckDb;
using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Events;
using Verdict.TestUtilities;

int emails = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500_000;
const int Instances = 4;
using var azurite = new AzuriteFixture();
var container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("events");
await container.CreateIfNotExistsAsync();
Console.WriteLine($"{emails:N0} emails (a scored event and an outcome each) over one day from {Instances} instances; {Environment.ProcessorCount} cores, .NET {Environment.Version}");

// The day, written as the app writes it: each instance appends its share, hour by hour.
var day = new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);
var rng = new Random(5);
string[] intents = ["billing", "cancel", "positive", "question"];
var writers = Enumerable.Range(0, Instances).Select(i => new EventLogWriter(container, new EventLogWriterOptions { InstanceId = $"fn-{i}" })).ToList();
var batch = new List<LogEvent>[Instances];
for (int i = 0; i < Instances; i++)
{
    batch[i] = [];
}
for (int e = 0; e < emails; e++)
{
    var ts = day.AddMilliseconds(86_400_000.0 * e / emails);
    string arm = rng.Next(2) == 0 ? "champion" : "challenger";
    string id = $"sc-{e:D9}";
    var list = batch[e % Instances];
    list.Add(new ScoredEvent(id, ts, "bench", arm, $"contact-{e:D9}", arm + "@3", intents[rng.Next(4)], Math.Round(rng.NextDouble(), 3), EventPhase.AB));
    list.Add(new OutcomeEvent(id, ts.AddMinutes(rng.Next(1, 30)), intents[rng.Next(4)], Math.Round(30 + (rng.NextDouble() * 400), 1), experiment: "bench"));
    if (list.Count >= 2_000)
    {
        await writers[e % Instances].AppendAsync(list);
        list.Clear();
    }
}
for (int i = 0; i < Instances; i++)
{
    await writers[i].AppendAsync(batch[i]);
    await writers[i].DisposeAsync();
}

async Task<(int Blobs, long Bytes)> StoredAsync()
{
    int count = 0;
    long bytes = 0;
    await foreach (var item in container.GetBlobsAsync())
    {
        count++;
        bytes += item.Properties.ContentLength ?? 0;
    }
    return (count, bytes);
}

async Task<string> DownloadAsync(string name)
{
    string folder = Path.Combine(Path.GetTempPath(), $"verdict-compaction-bench-{name}-{Environment.ProcessId}");
    await foreach (var item in container.GetBlobsAsync())
    {
        string path = Path.Combine(folder, item.Name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await container.GetBlobClient(item.Name).DownloadToAsync(path);
    }
    return folder;
}

var request = new AnalysisRequest { Events = ["log://events"], Experiment = "bench", BlobConnectionString = azurite.ConnectionString };
async Task<(double Seconds, AnalysisResult Result)> TimeAsync(Func<Task<AnalysisResult>> run)
{
    var best = double.MaxValue;
    AnalysisResult? result = null;
    for (int round = 0; round < 3; round++)
    {
        var sw = Stopwatch.StartNew();
        result = await run();
        best = Math.Min(best, sw.Elapsed.TotalSeconds);
    }
    return (best, result!);
}

var hourly = await StoredAsync();
var fromHourly = await TimeAsync(() => ExperimentAnalysis.RunAsync(request));
string hourlyCopy = await DownloadAsync("hourly");
var localHourly = await TimeAsync(() => ExperimentAnalysis.RunAsync(request with { Events = [hourlyCopy] }));
var duckHourly = await TimeAsync(() => DuckDbEngine.AnalyzeAsync(request with { Events = [hourlyCopy] }, new DuckDbOptions { MemoryLimit = "2GB" }));

var compaction = Stopwatch.StartNew();
var days = await new LogCompactor(container, new LogCompactionOptions(), new ManualTimeProvider(day.AddDays(2))).RunOnceAsync();
double compactSeconds = compaction.Elapsed.TotalSeconds;
var compacted = await StoredAsync();
var fromCompacted = await TimeAsync(() => ExperimentAnalysis.RunAsync(request));
string compactedCopy = await DownloadAsync("compacted");
var localCompacted = await TimeAsync(() => ExperimentAnalysis.RunAsync(request with { Events = [compactedCopy] }));
var duckCompacted = await TimeAsync(() => DuckDbEngine.AnalyzeAsync(request with { Events = [compactedCopy] }, new DuckDbOptions { MemoryLimit = "2GB" }));

string Same(AnalysisResult a, AnalysisResult b) =>
    a.Verdict.Status == b.Verdict.Status && a.Arms.Sum(x => x.Exposures) == b.Arms.Sum(x => x.Exposures) ? "same verdict and exposures" : "DIFFERENT";
Console.WriteLine();
Console.WriteLine($"compaction pass: {compactSeconds:F1} s for {days.Count} partition-days, {days.Sum(d => d.Lines):N0} lines, {days.Sum(d => d.Deleted)} hourly blobs deleted");
Console.WriteLine();
Console.WriteLine("| | hourly JSONL blobs (baseline) | compacted Parquet | |");
Console.WriteLine("|---|---:|---:|---|");
Console.WriteLine($"| blobs | {hourly.Blobs:N0} | {compacted.Blobs:N0} | |");
Console.WriteLine($"| bytes stored | {hourly.Bytes / 1e6:F1} MB | {compacted.Bytes / 1e6:F1} MB | {(double)hourly.Bytes / compacted.Bytes:F1}× smaller |");
Console.WriteLine($"| analyze log:// (best of 3) | {fromHourly.Seconds:F2} s | {fromCompacted.Seconds:F2} s | {Same(fromHourly.Result, fromCompacted.Result)} |");
Console.WriteLine($"| analyze a local copy, built-in | {localHourly.Seconds:F2} s | {localCompacted.Seconds:F2} s | {Same(localHourly.Result, localCompacted.Result)} |");
Console.WriteLine($"| analyze a local copy, DuckDB | {duckHourly.Seconds:F2} s | {duckCompacted.Seconds:F2} s | {Same(duckHourly.Result, duckCompacted.Result)} |");
Directory.Delete(hourlyCopy, recursive: true);
Directory.Delete(compactedCopy, recursive: true);
