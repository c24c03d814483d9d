// Experiments benchmark: the per-email cost of assignment + event append beside a bare FeatureManagement
// GetVariantAsync call, and event-log throughput to Azurite beside a bare append-block loop, in the same run.
//
//   dotnet run -c Release --project bench/Experiments.Bench [-- EVENTS]
//
// Starts its own Azurite (tools/azurite, installed by scripts/install-tools.sh) with in-memory storage, as the tests do.
using System.Diagnostics;
using System.Globalization;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Microsoft.FeatureManagement;
using Microsoft.FeatureManagement.FeatureFilters;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Experiments;
using Verdict.TestUtilities;

int events = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 300_000;
using var azurite = new AzuriteFixture();
var blobs = new BlobServiceClient(azurite.ConnectionString);
Console.WriteLine($"Azurite {azurite.ConnectionString.Split("BlobEndpoint=")[1].Split(';')[0]}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");

// An experiment in its A/B phase, stored as the product stores it.
var store = new ExperimentStore(blobs.GetBlobContainerClient(ExperimentStore.DefaultContainer));
var lifecycle = new ExperimentLifecycle(store);
var definition = new ExperimentDefinition
{
    Id = "bench-1",
    Arms = [new ArmDefinition("champion", 0.5, "replies@1"), new ArmDefinition("challenger", 0.5, "replies@2")],
    Baseline = 0.8, MinimumDetectableEffect = 0.03, Seed = "bench",
};
await lifecycle.CreateAsync(definition);
await lifecycle.StartAaAsync("bench-1");
await lifecycle.StartAbAsync("bench-1", null, "benchmark");
var started = (await store.GetAsync("bench-1"))!.Definition;

// 1. Per email: bare GetVariantAsync vs assignment + scored event into the log (fast mode and durable).
var bareFeatures = new FeatureManager(new FixedProvider(ExperimentFeatureDefinitionProvider.ToFeature(started)), new FeatureManagementOptions { IgnoreMissingFeatures = true });
var assigner = new ArmAssigner(store);
const int PerEmail = 100_000;
for (int i = 0; i < 20_000; i++)
{
    await bareFeatures.GetVariantAsync("bench-1", new TargetingContext { UserId = $"warm-{i}" });
    await assigner.AssignAsync("bench-1", $"warm-{i}");
}
double bareUs = await TimeAsync(PerEmail, async i => await bareFeatures.GetVariantAsync("bench-1", new TargetingContext { UserId = Unit(i) }));
double assignUs = await TimeAsync(PerEmail, async i => await assigner.AssignAsync("bench-1", Unit(i)));
double fastUs, fastFlushS;
var log = blobs.GetBlobContainerClient("bench-fast");
var t0 = DateTimeOffset.UtcNow;
await using (var writer = new EventLogWriter(log))
{
    fastUs = await TimeAsync(PerEmail, async i =>
    {
        var a = (await assigner.AssignAsync("bench-1", Unit(i)))!;
        await writer.EnqueueAsync(new ScoredEvent($"s-{i}", t0, "bench-1", a.Arm, Unit(i), a.Serves, "positive", 0.91, EventPhase.AB, 3.2));
    });
    var flush = Stopwatch.StartNew();
    await writer.FlushAsync();
    fastFlushS = flush.Elapsed.TotalSeconds;
}
Console.WriteLine();
Console.WriteLine("## Per email (one thread)");
Console.WriteLine($"bare GetVariantAsync                      {bareUs,8:F2} µs");
Console.WriteLine($"ArmAssigner.AssignAsync                   {assignUs,8:F2} µs   ({assignUs / bareUs:F2}× bare)");
Console.WriteLine($"assign + scored event, fast mode          {fastUs,8:F2} µs   ({fastUs / bareUs:F2}× bare; {PerEmail:N0} events durable {fastFlushS:F2} s after the last)");

// Durable mode: concurrent callers each waiting for their group commit.
foreach (int callers in new[] { 1, 16, 128 })
{
    var durableLog = blobs.GetBlobContainerClient($"bench-durable-{callers}");
    await using var writer = new EventLogWriter(durableLog);
    int perCaller = callers == 1 ? 2_000 : 40_000 / callers;
    var latencies = new double[callers * perCaller];
    var all = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
    {
        for (int k = 0; k < perCaller; k++)
        {
            int i = (c * perCaller) + k;
            long start = Stopwatch.GetTimestamp();
            var a = (await assigner.AssignAsync("bench-1", Unit(i)))!;
            await writer.AppendAsync(new ScoredEvent($"d-{i}", t0, "bench-1", a.Arm, Unit(i), a.Serves, "positive", 0.91, EventPhase.AB, 3.2));
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
    })));
    double seconds = all.Elapsed.TotalSeconds;
    Array.Sort(latencies);
    Console.WriteLine($"assign + durable append, {callers,3} callers    {latencies.Length / seconds,8:N0} emails/s   latency p50 {Pct(latencies, 0.5):F2} ms, p99 {Pct(latencies, 0.99):F2} ms   ({writer.Statistics.BlocksAppended:N0} blocks)");
}

// 2. Throughput: the writer vs a bare loop appending the same bytes in 4 MiB blocks to one blob.
var sample = new List<LogEvent>(events);
for (int i = 0; i < events; i++)
{
    sample.Add(new ScoredEvent($"t-{i:D8}", t0, "bench-1", i % 2 == 0 ? "champion" : "challenger", Unit(i), "replies@1", "positive", 0.91, EventPhase.AB, 3.2));
}
var throughputLog = blobs.GetBlobContainerClient("bench-throughput");
double writerS;
long bytes;
await using (var writer = new EventLogWriter(throughputLog, new EventLogWriterOptions { InstanceId = "bench" }))
{
    var sw = Stopwatch.StartNew();
    foreach (var e in sample)
    {
        await writer.EnqueueAsync(e);
    }
    await writer.FlushAsync();
    writerS = sw.Elapsed.TotalSeconds;
}
var payload = new List<byte[]>();
var written = new MemoryStream();
await foreach (var item in throughputLog.GetBlobsAsync())
{
    await throughputLog.GetBlobClient(item.Name).DownloadToAsync(written);
}
bytes = written.Length;
var all4 = written.ToArray();
for (int offset = 0; offset < all4.Length; offset += 4 * 1024 * 1024)
{
    payload.Add(all4[offset..Math.Min(all4.Length, offset + (4 * 1024 * 1024))]);
}
var bareLog = blobs.GetBlobContainerClient("bench-bare");
await bareLog.CreateIfNotExistsAsync();
var bareBlob = bareLog.GetAppendBlobClient("bare.jsonl");
await bareBlob.CreateAsync();
var bare = Stopwatch.StartNew();
foreach (var block in payload)
{
    using var content = new MemoryStream(block, writable: false);
    await bareBlob.AppendBlockAsync(content);
}
double bareS = bare.Elapsed.TotalSeconds;
Console.WriteLine();
Console.WriteLine($"## Event-log throughput to Azurite ({events:N0} scored events, {bytes / 1e6:F1} MB)");
Console.WriteLine($"bare append-block loop (4 MiB blocks)     {events / bareS,10:N0} events/s   {bytes / 1e6 / bareS,7:F1} MB/s");
Console.WriteLine($"EventLogWriter (serialize + buffer + append) {events / writerS,7:N0} events/s   {bytes / 1e6 / writerS,7:F1} MB/s   ({writerS / bareS:F2}× the bare loop's time)");

// 3. The fast mode's loss window: how long an acknowledged event waits before it is durable, at a steady 2,000 emails/s.
var waits = new List<double>();
var windowLog = blobs.GetBlobContainerClient("bench-window");
await using (var writer = new EventLogWriter(windowLog))
{
    writer.Flushed = (_, oldest) => { lock (waits) { waits.Add(oldest.TotalMilliseconds); } };
    var pace = Stopwatch.StartNew();
    for (int i = 0; i < 20_000; i++)
    {
        while (pace.Elapsed.TotalMilliseconds < i / 2.0)
        {
            await Task.Yield();
        }
        await writer.EnqueueAsync(sample[i]);
    }
    await writer.FlushAsync();
    Console.WriteLine();
    Console.WriteLine($"## Fast-mode loss window (20,000 events at 2,000/s, flush interval {new EventLogWriterOptions().FlushInterval.TotalMilliseconds} ms)");
    var sorted = waits.Order().ToArray();
    Console.WriteLine($"oldest event's wait per group commit: p50 {Pct(sorted, 0.5):F0} ms, p99 {Pct(sorted, 0.99):F0} ms, max {writer.Statistics.MaxWait.TotalMilliseconds:F0} ms over {sorted.Length} commits");
}

static string Unit(int i) => string.Create(CultureInfo.InvariantCulture, $"contact-{i:D7}");

static double Pct(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];

static async Task<double> TimeAsync(int n, Func<int, ValueTask> body)
{
    var sw = Stopwatch.StartNew();
    for (int i = 0; i < n; i++)
    {
        await body(i);
    }
    return sw.Elapsed.TotalMicroseconds / n;
}

/// <summary>A provider that holds one flag, so the baseline measures FeatureManagement alone.</summary>
internal sealed class FixedProvider(FeatureDefinition feature) : IFeatureDefinitionProvider
{
    public Task<FeatureDefinition?> GetFeatureDefinitionAsync(string featureName) =>
        Task.FromResult<FeatureDefinition?>(featureName == feature.Name ? feature : null);

    public async IAsyncEnumerable<FeatureDefinition> GetAllFeatureDefinitionsAsync()
    {
        await Task.CompletedTask;
        yield return feature;
    }
}
