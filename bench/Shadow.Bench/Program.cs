// Shadow scoring benchmark: does a shadow model add to the served latency? In one run, against Azurite, the core
// service (EmailService, no host) serves the same emails with the linear demo champion in two experiments that
// differ only in their shadow models: none, and a MiniLM encoder model (about 30× the champion's cost per email).
// Rounds alternate the two, so a slow spell of a shared machine falls on both. Printed beside them: the bare
// scoring call of each model (the baseline), the shadow's own latency from its events, and how many emails were
// shadowed and dropped.
//
//   dotnet run -c Release --project bench/Shadow.Bench [-- EMAILS ROUNDS]
//
// Texts: ../shared/data/email-intent-parakweet when present, else the demo corpus. Models are trained here on the demo corpus.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Experiments;
using Verdict.Scoring;
using Verdict.Scoring.Hosting;
using Verdict.Serving;
using Verdict.TestUtilities;
using Verdict.Training;
using Verdict.Training.Demo;

int emails = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2_000;
int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
var c = CultureInfo.InvariantCulture;
using var work = new TempDirectory();
using var azurite = new AzuriteFixture();

string corpus = work.Combine("corpus.csv");
DemoCorpus.Write(corpus);
string parakweet = Path.Combine(RepositoryPaths.Root, "..", "shared", "data", "email-intent-parakweet", "email-intent-parakweet.csv");
var texts = EmailTexts.Read(File.Exists(parakweet) ? parakweet : corpus);
using var runtime = ScoringRuntime.Create(new ScoringOptions { BlobConnectionString = azurite.ConnectionString });
foreach (var (name, architecture) in new[] { ("bench-champion", ModelArchitecture.Linear), ("bench-encoder", ModelArchitecture.Encoder) })
{
    var trained = IntentTrainer.Train(new TrainingOptions
    {
        DataPath = corpus, SplitColumn = "split", Architecture = architecture, Buckets = 65536, Name = name, Version = "1", OutputDirectory = work.Combine(name),
    });
    await runtime.Registry.PublishAsync(trained.PackageDirectory);
}
var champion = ModelReference.Parse("bench-champion@1");
var shadow = ModelReference.Parse("bench-encoder@1");
var store = new ExperimentStore(new BlobContainerClient(azurite.ConnectionString, ExperimentStore.DefaultContainer));
var lifecycle = new ExperimentLifecycle(store);
foreach (var (id, shadows) in new[] { ("unshadowed", Array.Empty<string>()), ("shadowed", new[] { shadow.ToString() }) })
{
    await lifecycle.CreateAsync(new ExperimentDefinition
    {
        Id = id, Seed = id, Baseline = 0.8, MinimumDetectableEffect = 0.03, ShadowModels = shadows,
        Arms = [new ArmDefinition("a", 0.5, champion.ToString()), new ArmDefinition("b", 0.5, champion.ToString())],
    });
    await lifecycle.StartAaAsync(id);
    await lifecycle.StartAbAsync(id, null, "bench");
}
var log = new EventLogWriter(new BlobContainerClient(azurite.ConnectionString, "events"));
var shadowing = new ShadowScoring(runtime, log, 100_000, gpu: null, TimeProvider.System, NullLogger<ShadowScoring>.Instance);
var service = new EmailService(runtime, new ArmAssigner(store), log, new ServingOptions { DefaultModel = champion }, gpu: null, TimeProvider.System,
    NullLogger<EmailService>.Instance, shadows: shadowing);
using var stop = new CancellationTokenSource();
var loop = Task.Run(() => shadowing.RunAsync(stop.Token));
Console.WriteLine($"{texts.Count} texts, {emails} emails per round, {rounds} rounds, {Environment.ProcessorCount} cores, .NET {Environment.Version}");

// Warm-up: JIT, sessions, the log's first blobs.
await ServeAsync("unshadowed", 300, "warm-a");
await ServeAsync("shadowed", 300, "warm-b");
await DrainAsync();

var bareChampion = new List<double>();
var bareShadow = new List<double>();
var plain = new List<double[]>();
var shadowed = new List<double[]>();
for (int round = 0; round < rounds; round++)
{
    bareChampion.Add(Median(await BareAsync(champion, emails)));
    bareShadow.Add(Median(await BareAsync(shadow, Math.Min(emails, 500))));
    plain.Add(await ServeAsync("unshadowed", emails, $"u{round}"));
    shadowed.Add(await ServeAsync("shadowed", emails, $"s{round}"));
    Console.WriteLine(string.Create(c, $"round {round + 1}: served p50 {Quantile(plain[^1], 0.5):F3} / {Quantile(shadowed[^1], 0.5):F3} ms, p99 {Quantile(plain[^1], 0.99):F3} / {Quantile(shadowed[^1], 0.99):F3} ms (unshadowed / shadowed); {shadowing.Pending} emails still queued for the shadow"));
    await DrainAsync();
}
await stop.CancelAsync();
await loop;
await log.FlushAsync();

var shadowEvents = new List<double>();
long scoredEvents = 0;
var container = new BlobContainerClient(azurite.ConnectionString, "events");
await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "shadowed/", CancellationToken.None))
{
    foreach (string line in (await container.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
    {
        using var doc = JsonDocument.Parse(line);
        string type = doc.RootElement.GetProperty("type").GetString()!;
        if (type == "shadow")
        {
            shadowEvents.Add(doc.RootElement.GetProperty("latencyMs").GetDouble());
        }
        else if (type == "scored")
        {
            scoredEvents++;
        }
    }
}
double MedianOf(Func<double[], double> f, List<double[]> runs) => Median([.. runs.Select(f)]);
Console.WriteLine();
Console.WriteLine("| | p50 | p99 |");
Console.WriteLine("|---|---:|---:|");
Console.WriteLine(string.Create(c, $"| bare scoring call, champion (linear) | {Median([.. bareChampion]):F3} ms | |"));
Console.WriteLine(string.Create(c, $"| bare scoring call, shadow (MiniLM encoder) | {Median([.. bareShadow]):F3} ms | |"));
Console.WriteLine(string.Create(c, $"| served, no shadow model | {MedianOf(r => Quantile(r, 0.5), plain):F3} ms | {MedianOf(r => Quantile(r, 0.99), plain):F3} ms |"));
Console.WriteLine(string.Create(c, $"| served, with the shadow model | {MedianOf(r => Quantile(r, 0.5), shadowed):F3} ms | {MedianOf(r => Quantile(r, 0.99), shadowed):F3} ms |"));
Console.WriteLine(string.Create(c, $"| the shadow's own latency (its events' latencyMs) | {Quantile([.. shadowEvents], 0.5):F3} ms | {Quantile([.. shadowEvents], 0.99):F3} ms |"));
Console.WriteLine(string.Create(c, $"shadowed/unshadowed served p50, per round: {string.Join(", ", Enumerable.Range(0, rounds).Select(i => (Quantile(shadowed[i], 0.5) / Quantile(plain[i], 0.5)).ToString("F2", c)))}"));
Console.WriteLine(string.Create(c, $"shadow events {shadowEvents.Count:N0} for {scoredEvents:N0} scored emails of the shadowed experiment (dropped: {scoredEvents - shadowEvents.Count:N0})"));
return 0;

async Task<double[]> ServeAsync(string experiment, int count, string prefix)
{
    var times = new double[count];
    for (int i = 0; i < count; i++)
    {
        string text = texts[i % texts.Count];
        long start = Stopwatch.GetTimestamp();
        var result = await service.ScoreAsync([new ScoreRequest($"{prefix}-{i}", $"unit-{prefix}-{i}", experiment, null, null, text)], durable: false, CancellationToken.None);
        times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(result.Error!.Message);
        }
    }
    return times;
}

async Task<double[]> BareAsync(ModelReference model, int count)
{
    var times = new double[count];
    for (int i = 0; i < count; i++)
    {
        long start = Stopwatch.GetTimestamp();
        await runtime.Scorer.ScoreAsync(model, texts[i % texts.Count], CancellationToken.None);
        times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
    return times;
}

async Task DrainAsync()
{
    while (shadowing.Pending > 0)
    {
        await Task.Delay(50);
    }
    await Task.Delay(200);
}

static double Quantile(double[] values, double q)
{
    var sorted = values.Order().ToArray();
    return sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}

static double Median(double[] values) => Quantile(values, 0.5);
