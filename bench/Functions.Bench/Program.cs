// Functions app benchmark, with wrk (Debian package) on loopback and the app (its local host) in this process:
//   1. POST /api/score with real email texts in an A/B experiment (assign → score → answer → log) beside
//      GET /api/hello of the same app and a hello-world JSON POST on bare Kestrel, each at full speed, in rounds
//      (three by default), then /api/score at half its median maximum rate for the latency tail; also
//      /api/score naming the champion model (no experiment, nothing logged). Then the bare parts of an A/B
//      request, each on one thread in this process: featurize, bare InferenceSession.Run, a bare append of
//      event lines; and the core service called directly. The app's CPU per A/B request is set beside the sum
//      of the bare parts.
//   2. the queue path: messages/s the app drains from score-requests (score, log, result, delete) beside a bare
//      receive-and-delete loop, and the same loop sending each message's result, with the same host.json
//      batching, each on an Azurite of its own.
//
//   dotnet run -c Release --project bench/Functions.Bench [-- SECONDS MESSAGES ROUNDS [all|http|queue]]
//
// Each wrk line also gives the app's garbage collections during that run, their total pause and the bytes it
// allocated per request, and the CPU time per request of the app, of wrk and of Azurite, which share the cores.
// For profiling by hand: VERDICT_BENCH_HOLD=FILE makes the bench, after its warm-up, write "URL BODIES-FILE" to
// FILE and keep serving (printing GC counts and bytes allocated every 2 s) until FILE is deleted.
//
// Texts: ../shared/data/email-intent-parakweet (sentences of real emails) when present, else the demo corpus.
// Models: the demo champion (linear) and challenger (mlp), trained here on the demo corpus as scripts/run.sh does.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Experiments;
using Verdict.Functions;
using Verdict.Scoring;
using Verdict.Scoring.Hosting;
using Verdict.TestUtilities;
using Verdict.Training;
using Verdict.Training.Demo;

int seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
int messages = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3_000;
int roundCount = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
string part = args.Length > 3 ? args[3] : "all";
if (part is not ("all" or "http" or "queue"))
{
    Console.Error.WriteLine($"the fourth argument is the part to run: all, http or queue (not '{part}')");
    return 2;
}
if (!File.Exists("/usr/bin/wrk"))
{
    Console.Error.WriteLine("wrk is not installed: apt-get install wrk");
    return 1;
}
string work = Path.Combine(Path.GetTempPath(), "verdict-functions-bench", Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(work);
using var azurite = new AzuriteFixture();
string connection = azurite.ConnectionString;

// Texts and models.
string parakweet = Path.Combine(RepositoryPaths.Root, "..", "shared", "data", "email-intent-parakweet", "email-intent-parakweet.csv");
string corpus = Path.Combine(work, "corpus.csv");
DemoCorpus.Write(corpus);
var texts = EmailTexts.Read(File.Exists(parakweet) ? parakweet : corpus);
var packages = new List<string>();
foreach (var (name, architecture) in new[] { ("demo-champion", ModelArchitecture.Linear), ("demo-challenger", ModelArchitecture.Mlp) })
{
    packages.Add(IntentTrainer.Train(new TrainingOptions
    {
        DataPath = corpus, SplitColumn = "split", Architecture = architecture, Buckets = 65536, Name = name, Version = "1",
        OutputDirectory = Path.Combine(work, name),
    }).PackageDirectory);
}
await PrepareAsync(connection);
Console.WriteLine($"{texts.Count} texts from {Path.GetFileName(File.Exists(parakweet) ? parakweet : corpus)}, experiment 'bench' (linear vs mlp) in A/B, " +
    $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, {WrkVersion()}");

// 1. HTTP.
WebApplication? http = null;
int port = TestProcess.FreePort();
string[] appArgs =
[
    "--urls", $"http://127.0.0.1:{port}", $"--Verdict:StorageConnectionString={connection}", "--Verdict:DefaultModel=demo-champion@1",
    "--Verdict:LocalQueues=false", "--Logging:LogLevel:Default=Warning",
];
if (part is "all" or "http")
{
http = FunctionsApp.BuildLocal(appArgs);
await http.StartAsync();
string bodies = Path.Combine(work, "bodies.txt");
File.WriteAllLines(bodies, texts.Select(t => JsonSerializer.Serialize(t)));
string url = $"http://127.0.0.1:{port}";
// Warm-up, long enough on a small machine for tiered compilation to finish: JIT, model sessions, the log's first blob.
Wrk(url, Script(bodies, delayMs: null), 20, 64);
Wrk(url + "/api/hello", null, 5, 64);
// A hello world that is a JSON POST: Kestrel in this process reads the same bodies into a JsonDocument and answers
// with a canned score answer of the same size, so the edge's bare part is measured as well as hello's GET.
int jsonPort = TestProcess.FreePort();
var helloJson = WebApplication.CreateSlimBuilder(["--urls", $"http://127.0.0.1:{jsonPort}", "--Logging:LogLevel:Default=Warning"]).Build();
byte[] cannedAnswer = System.Text.Encoding.UTF8.GetBytes("""{"scoringId":"1-1234-1764680000","intent":"positive","confidence":0.8123,"probabilities":{"positive":0.8123,"objection":0.0912,"unsubscribe":0.0411,"not-sure":0.0554},"experiment":"bench","arm":"challenger","model":"demo-challenger@1","latencyMs":0.052}""");
helloJson.MapPost("/api/score", async (Microsoft.AspNetCore.Http.HttpRequest request) =>
{
    using var document = await JsonDocument.ParseAsync(request.Body);
    return Microsoft.AspNetCore.Http.Results.Bytes(cannedAnswer, "application/json; charset=utf-8");
});
await helloJson.StartAsync();
string jsonUrl = $"http://127.0.0.1:{jsonPort}";
Wrk(jsonUrl, Script(bodies, delayMs: null), 5, 64);
if (Environment.GetEnvironmentVariable("VERDICT_BENCH_HOLD") is { } hold)
{
    File.WriteAllText(hold, $"{url} {bodies}");
    Console.WriteLine($"serving {url} until {hold} is deleted; request bodies in {bodies}");
    while (File.Exists(hold))
    {
        await Task.Delay(2000);
        Console.WriteLine($"{DateTime.Now:HH:mm:ss} gc0 {GC.CollectionCount(0)} gc1 {GC.CollectionCount(1)} gc2 {GC.CollectionCount(2)} pause {GC.GetTotalPauseDuration().TotalMilliseconds:F0} ms heap {GC.GetTotalMemory(false) >> 20} MB allocated {GC.GetTotalAllocatedBytes() >> 20} MB");
    }
}
// Rounds of hello, model only and experiment in turn, so a slow spell of a shared machine falls on all three
// routes alike; each ratio is taken within its round, and the median round is reported.
var rounds = new List<(WrkResult Hello, WrkResult ModelOnly, WrkResult Score, WrkResult HelloJson)>();
var appLog = http.Services.GetRequiredService<EventLogWriter>();
var logBefore = appLog.Statistics;
for (int round = 1; round <= roundCount; round++)
{
    var roundHello = Wrk(url + "/api/hello", null, seconds, 64);
    var roundJson = Wrk(jsonUrl, Script(bodies, delayMs: null), seconds, 64);
    var roundModel = Wrk(url, Script(bodies, delayMs: null, route: "\"model\":\"demo-champion@1\""), seconds, 64);
    var roundScore = Wrk(url, Script(bodies, delayMs: null), seconds, 64);
    rounds.Add((roundHello, roundModel, roundScore, roundJson));
    Console.WriteLine($"round {round}");
    Console.WriteLine($"  GET  /api/hello  (64 connections)      {roundHello}");
    Console.WriteLine($"  POST hello JSON (bare Kestrel)        {roundJson}");
    Console.WriteLine($"  POST /api/score  model only, no log    {roundModel}");
    Console.WriteLine($"  POST /api/score  (64 connections)      {roundScore}");
}
var logAfter = appLog.Statistics;
int eventsPerBlock = (int)Math.Max(1, (logAfter.EventsWritten - logBefore.EventsWritten) / Math.Max(1, logAfter.BlocksAppended - logBefore.BlocksAppended));
var parts = await BarePartsAsync(eventsPerBlock);
var core = await CoreAsync(http.Services.GetRequiredService<Verdict.Serving.EmailService>());
double target = Median(rounds.Select(r => r.Score.Rate)) / 2;
const int PacedConnections = 32;
// Each connection waits its delay after each answer, so its cycle is the delay plus the latency and wrk's timer
// slack: short calibration runs (at most three) shorten the delay by what they measure until the rate is
// within 5 % of the target.
double delay = PacedConnections * 1000.0 / target;
for (int attempt = 0; attempt < 3; attempt++)
{
    double achieved = Wrk(url, Script(bodies, delayMs: delay), Math.Max(2, seconds / 2), PacedConnections).Rate;
    if (Math.Abs(achieved - target) <= 0.05 * target)
    {
        break;
    }
    delay = Math.Max(0, delay - ((PacedConnections * 1000.0 / achieved) - (PacedConnections * 1000.0 / target)));
}
var paced = Wrk(url, Script(bodies, delayMs: delay), seconds, PacedConnections);
await http.StopAsync();
await http.DisposeAsync();
Console.WriteLine($"POST /api/score  (paced to {target,6:F0} req/s) {paced}");
Console.WriteLine(Ratio("model only / hello throughput", rounds.Select(r => r.ModelOnly.Rate / r.Hello.Rate)));
Console.WriteLine(Ratio("score / hello throughput", rounds.Select(r => r.Score.Rate / r.Hello.Rate)) + F($"   p99 at half the maximum: {paced.P99Ms:F2} ms (achieved {paced.Rate:F0} req/s, {paced.Rate / target:P0} of the target)"));
// What the ratios would be if the app had the cores to itself: hello's app CPU per request over the route's.
Console.WriteLine(Ratio("app CPU per request, hello / model only", rounds.Select(r => r.Hello.Cpu.App / r.ModelOnly.Cpu.App)));
Console.WriteLine(Ratio("app CPU per request, hello / experiment", rounds.Select(r => r.Hello.Cpu.App / r.Score.Cpu.App)));
Console.WriteLine(F($"bare parts, CPU per email: featurize {parts.Featurize:F1} µs, bare InferenceSession.Run {parts.Run:F1} µs (champion and challenger alike), bare log append {parts.Append:F1} µs ({eventsPerBlock} events per block, as the app's log wrote them)"));
Console.WriteLine(F($"the core alone (EmailService.ScoreAsync, no HTTP), CPU per email: A/B {core.Experiment:F1} µs, naming the model {core.ModelOnly:F1} µs"));
Console.WriteLine(Ratio("app CPU per A/B request / (hello request + featurize + Run + log append)", rounds.Select(r => r.Score.Cpu.App / (r.Hello.Cpu.App + parts.Featurize + parts.Run + parts.Append))));
Console.WriteLine(Ratio("app CPU per A/B request / (hello JSON POST + featurize + Run + log append)", rounds.Select(r => r.Score.Cpu.App / (r.HelloJson.Cpu.App + parts.Featurize + parts.Run + parts.Append))));
await helloJson.StopAsync();
await helloJson.DisposeAsync();
}
if (part is "http")
{
    return 0;
}

// 2. Queue path: a bare receive-and-delete loop, the same loop sending each message's result before deleting it
// (the storage work the queue contract itself asks for), and the app, each on an Azurite of its own: Azurite's
// CPU per message grows with the messages it has seen, so sharing one would tax whichever runs last. Each loop
// first drains a warm-up queue (JIT, connections), and the app's first messages are not counted.
var settings = QueueSettings.Load(Path.Combine(AppContext.BaseDirectory, "host.json"));
string QueueMessage(int i) => JsonSerializer.Serialize(new { id = $"q-{i}", unit = $"qu-{i}", experiment = "bench", body = texts[i % texts.Count] });
const int WarmUp = 300;
var bareRun = await BareLoopAsync(withResults: false);
var plumbingRun = await BareLoopAsync(withResults: true);
var appRun = await AppDrainAsync();
Console.WriteLine(F($"queue: bare receive+delete                {bareRun.Rate,7:F0} msg/s   CPU per message: {bareRun.Cpu}"));
Console.WriteLine(F($"queue: bare receive+send result+delete    {plumbingRun.Rate,7:F0} msg/s   CPU per message: {plumbingRun.Cpu}"));
Console.WriteLine(F($"queue: app (score, durable log, result, delete) {appRun.Rate,7:F0} msg/s   CPU per message: {appRun.Cpu}"));
var appLogged = appRun.Log!;
Console.WriteLine(F($"queue: the app's log: {appLogged.EventsWritten} events in {appLogged.BlocksAppended} appended blocks ({(double)appLogged.EventsWritten / Math.Max(1, appLogged.BlocksAppended):F1} per block)"));
Console.WriteLine(F($"queue: app / bare receive+delete = {appRun.Rate / bareRun.Rate:P1}; app / bare receive+send+delete = {appRun.Rate / plumbingRun.Rate:P1} ({messages} messages each, batch {settings.BatchSize}, new batch at {settings.NewBatchThreshold} in flight)"));
Console.WriteLine(F($"queue: longest time without a new result during the app's drain: {appRun.LongestStall.TotalSeconds:F1} s; longest wait for Azurite to answer the poll: {appRun.LongestPoll.TotalSeconds:F1} s"));
Directory.Delete(work, recursive: true);
return 0;

// The bare parts of an A/B request, each in this process on one thread, CPU time per email: the featurizer and
// InferenceSession.Run of the two models (half the emails each, as the experiment splits them), and an append of
// scored-event lines to an append blob in blocks of the size the app's log wrote.
async Task<(double Featurize, double Run, double Append)> BarePartsAsync(int eventsPerBlock)
{
    double featurize = 0, run = 0;
    foreach (string package in packages)
    {
        using var model = Verdict.Scoring.Inference.OnnxIntentModel.Load(
            await Verdict.Scoring.Packages.ModelPackage.ReadFolderAsync(package, CancellationToken.None), intraOpThreads: 1, useCuda: false);
        var batches = texts.Select(t => model.Featurizer.Featurize([t])).ToArray();
        featurize += CpuPerCall(texts.Count, i => model.Featurizer.Featurize([texts[i]]).Dispose()) / packages.Count;
        run += CpuPerCall(texts.Count, i => model.RunRaw(batches[i], out _)) / packages.Count;
        foreach (var batch in batches)
        {
            batch.Dispose();
        }
    }
    var blob = new Azure.Storage.Blobs.Specialized.AppendBlobClient(azurite.ConnectionString, "bare-append", "bench.jsonl");
    await new BlobContainerClient(azurite.ConnectionString, "bare-append").CreateIfNotExistsAsync();
    await blob.CreateIfNotExistsAsync();
    string line = """{"type":"scored","id":"12-3456-1764680000","ts":"2026-12-02T15:00:00.0000000Z","experiment":"bench","arm":"challenger","unit":"u12-3456-1764680000","model":"demo-challenger@1","intent":"positive","confidence":0.8123,"phase":"ab","latencyMs":0.412}""" + "\n";
    byte[] block = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(line, eventsPerBlock)));
    const int Blocks = 400;
    for (int i = 0; i < 20; i++)
    {
        using var warm = new MemoryStream(block);
        await blob.AppendBlockAsync(warm);
    }
    var before = Process.GetCurrentProcess().TotalProcessorTime;
    for (int i = 0; i < Blocks; i++)
    {
        using var content = new MemoryStream(block);
        await blob.AppendBlockAsync(content);
    }
    double append = (Process.GetCurrentProcess().TotalProcessorTime - before).TotalMicroseconds / (Blocks * (double)eventsPerBlock);
    return (featurize, run, append);
}

// The core service called directly, one email per call with a new id each, as the routes call it: where the
// app's CPU per request goes between the edge (HTTP, JSON) and the core (assign, score, answer, log).
async Task<(double Experiment, double ModelOnly)> CoreAsync(Verdict.Serving.EmailService service)
{
    int n = 0;
    double Measure(Func<int, Verdict.Serving.ScoreRequest> request) => CpuPerCall(texts.Count, i =>
    {
        var result = service.ScoreAsync([request(Interlocked.Increment(ref n))], durable: false, CancellationToken.None);
        if (!result.IsCompletedSuccessfully)
        {
            result.AsTask().GetAwaiter().GetResult();
        }
    });
    double experiment = Measure(i => new(F($"core-{i}"), F($"cu-{i}"), "bench", null, null, texts[i % texts.Count]));
    double modelOnly = Measure(i => new(F($"core-m-{i}"), null, null, "demo-champion@1", null, texts[i % texts.Count]));
    await http!.Services.GetRequiredService<EventLogWriter>().FlushAsync();
    return (experiment, modelOnly);
}

// CPU time per call of this process, in µs, over enough passes of the items to take a second or more.
static double CpuPerCall(int count, Action<int> call)
{
    for (int i = 0; i < Math.Min(count, 500); i++)
    {
        call(i);
    }
    int passes = 0;
    var before = Process.GetCurrentProcess().TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed < TimeSpan.FromSeconds(1))
    {
        for (int i = 0; i < count; i++)
        {
            call(i);
        }
        passes++;
    }
    return (Process.GetCurrentProcess().TotalProcessorTime - before).TotalMicroseconds / ((double)passes * count);
}

// This process's and an Azurite's CPU time per message since the readings given.
static string CpuPerMessage(TimeSpan app, AzuriteFixture storage, TimeSpan storageBefore, int count) => F(
    $"app {(Process.GetCurrentProcess().TotalProcessorTime - app).TotalMicroseconds / count:F0} µs, Azurite {(storage.ProcessorTime - storageBefore).TotalMicroseconds / count:F0} µs");

async Task<QueueRun> BareLoopAsync(bool withResults)
{
    using var storage = new AzuriteFixture();
    string name = withResults ? "plumbing" : "bare";
    var warm = Queue(storage, name + "-warm");
    var queue = Queue(storage, name);
    var sent = Queue(storage, name + "-results");
    foreach (var q in new[] { warm, queue, sent })
    {
        await q.CreateIfNotExistsAsync();
    }
    await FillAsync(warm, QueueMessage, WarmUp);
    await BareDrainAsync(warm, settings, withResults ? sent : null);
    await FillAsync(queue, QueueMessage);
    var clock = Stopwatch.StartNew();
    var (app, azuriteBefore) = (Process.GetCurrentProcess().TotalProcessorTime, storage.ProcessorTime);
    await BareDrainAsync(queue, settings, withResults ? sent : null);
    return new QueueRun(messages / clock.Elapsed.TotalSeconds, CpuPerMessage(app, storage, azuriteBefore, messages));
}

async Task<QueueRun> AppDrainAsync()
{
    using var storage = new AzuriteFixture();
    await PrepareAsync(storage.ConnectionString);
    var requests = Queue(storage, "score-requests");
    var results = Queue(storage, QueueHandler.ResultQueue);
    await requests.CreateIfNotExistsAsync();
    await results.CreateIfNotExistsAsync();
    await FillAsync(requests, QueueMessage, messages + WarmUp);
    var app = FunctionsApp.BuildLocal(
    [
        .. appArgs.Where(a => a != "--Verdict:LocalQueues=false" && !a.StartsWith("--Verdict:StorageConnectionString=", StringComparison.Ordinal)),
        $"--Verdict:StorageConnectionString={storage.ConnectionString}", "--Verdict:LocalQueues=true",
    ]);
    var scorer = app.Services.GetRequiredService<ScoringRuntime>().Scorer;
    await scorer.ScoreAsync(ModelReference.Parse("demo-champion@1"), "warm up", CancellationToken.None);
    await scorer.ScoreAsync(ModelReference.Parse("demo-challenger@1"), "warm up", CancellationToken.None);
    var clock = Stopwatch.StartNew();
    await app.StartAsync();
    // The longest time without progress, and the longest the poll itself waited for Azurite: a stall with a
    // prompt poll is the app's; a stall in which the poll waits too is Azurite answering nobody.
    int drained = 0, counted = 0;
    TimeSpan lastProgress = TimeSpan.Zero, longestStall = TimeSpan.Zero, longestPoll = TimeSpan.Zero;
    (TimeSpan App, TimeSpan Azurite) before = default;
    bool counting = false;
    while (drained < messages + WarmUp)
    {
        if (!counting && drained >= WarmUp)
        {
            // The steady drain starts here: the clock, the CPU readings and the stall watch.
            (counting, counted) = (true, messages + WarmUp - drained);
            clock.Restart();
            before = (Process.GetCurrentProcess().TotalProcessorTime, storage.ProcessorTime);
            (lastProgress, longestStall, longestPoll) = (TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);
        }
        await Task.Delay(20);
        var asked = clock.Elapsed;
        int count = (await results.GetPropertiesAsync()).Value.ApproximateMessagesCount;
        var now = clock.Elapsed;
        longestPoll = now - asked > longestPoll ? now - asked : longestPoll;
        longestStall = now - lastProgress > longestStall ? now - lastProgress : longestStall;
        if (count > drained)
        {
            (drained, lastProgress) = (count, now);
        }
    }
    var run = new QueueRun(counted / clock.Elapsed.TotalSeconds, CpuPerMessage(before.App, storage, before.Azurite, counted),
        app.Services.GetRequiredService<EventLogWriter>().Statistics, longestStall, longestPoll);
    await app.StopAsync();
    await app.DisposeAsync();
    return run;
}

// The demo models and experiment 'bench' in its A/B phase, in the account of the connection string.
async Task PrepareAsync(string storage)
{
    using (var runtime = ScoringRuntime.Create(new ScoringOptions { BlobConnectionString = storage }))
    {
        foreach (string package in packages)
        {
            await runtime.Registry.PublishAsync(package);
        }
    }
    var lifecycle = new ExperimentLifecycle(new ExperimentStore(new BlobContainerClient(storage, ExperimentStore.DefaultContainer)));
    await lifecycle.CreateAsync(new ExperimentDefinition
    {
        Id = "bench", Seed = "bench", Baseline = 0.8, MinimumDetectableEffect = 0.03,
        Arms = [new ArmDefinition("champion", 0.5, "demo-champion@1"), new ArmDefinition("challenger", 0.5, "demo-challenger@1")],
    });
    await lifecycle.StartAaAsync("bench");
    await lifecycle.StartAbAsync("bench", null, "benchmark");
}

static QueueClient Queue(AzuriteFixture storage, string name) => new(storage.ConnectionString, name, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

async Task FillAsync(QueueClient queue, Func<int, string> message, int? count = null) =>
    await Parallel.ForEachAsync(Enumerable.Range(0, count ?? messages), new ParallelOptions { MaxDegreeOfParallelism = 32 },
        async (i, ct) => await queue.SendMessageAsync(message(i), ct));

// The plumbing alone, shaped like the listener: fetch a batch, delete each message concurrently, fetch the
// next batch once no more than the threshold is in flight, until the queue is empty.
static async Task BareDrainAsync(QueueClient queue, QueueSettings settings, QueueClient? results)
{
    int inFlight = 0;
    using var finished = new SemaphoreSlim(0);
    while (true)
    {
        while (Volatile.Read(ref inFlight) > settings.NewBatchThreshold)
        {
            await finished.WaitAsync();
        }
        QueueMessage[] batch = (await queue.ReceiveMessagesAsync(settings.BatchSize, TimeSpan.FromMinutes(1))).Value;
        if (batch.Length == 0)
        {
            break;
        }
        foreach (var m in batch)
        {
            Interlocked.Increment(ref inFlight);
            _ = Task.Run(async () =>
            {
                try
                {
                    if (results is not null)
                    {
                        await results.SendMessageAsync(m.MessageText);
                    }
                    await queue.DeleteMessageAsync(m.MessageId, m.PopReceipt);
                }
                finally
                {
                    Interlocked.Decrement(ref inFlight);
                    finished.Release();
                }
            });
        }
    }
    while (Volatile.Read(ref inFlight) > 0)
    {
        await finished.WaitAsync();
    }
}

// A wrk script posting one email per request, each with its own id and unit, texts in rotation.
string Script(string bodiesFile, double? delayMs, string route = "\"experiment\":\"bench\"")
{
    string path = Path.Combine(work, $"score-{Guid.NewGuid():N}.lua");
    File.WriteAllText(path, $$"""
        local bodies = {}
        for line in io.lines("{{bodiesFile}}") do bodies[#bodies + 1] = line end
        local threads = 0
        function setup(thread) threads = threads + 1; thread:set("tid", threads) end
        local n = 0
        wrk.method = "POST"
        wrk.headers["Content-Type"] = "application/json"
        function request()
          n = n + 1
          local id = tostring(tid) .. "-" .. tostring(n) .. "-" .. tostring(os.time())
          return wrk.format(nil, "/api/score", nil,
            '{"id":"' .. id .. '","unit":"u' .. id .. '",{{route}},"body":' .. bodies[(n % #bodies) + 1] .. '}')
        end
        {{(delayMs is { } d ? F($"function delay() return {d:F1} end") : "")}}
        {{WrkScripts.Done}}
        """);
    return path;
}

// The app runs in this process, wrk is its child, and Azurite is the HTTP phase's own child: each one's CPU
// time per request is measured around the run and the flush of its events, so each line shows where the two
// cores went.
WrkResult Wrk(string url, string? script, int duration, int connections)
{
    var appCpu = Process.GetCurrentProcess().TotalProcessorTime;
    var wrkCpu = ChildrenProcessorTime();
    var storageCpu = azurite.ProcessorTime;
    string summary = script is null ? Path.Combine(Path.GetTempPath(), $"verdict-wrk-{Guid.NewGuid():N}.lua") : script;
    if (script is null)
    {
        File.WriteAllText(summary, WrkScripts.Done);
    }
    int gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2);
    var paused = GC.GetTotalPauseDuration();
    long allocated = GC.GetTotalAllocatedBytes(precise: true);
    var start = new ProcessStartInfo("/usr/bin/wrk") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (string a in new[] { "-t2", $"-c{connections}", $"-d{duration}s", "--latency", "-s", summary, url })
    {
        start.ArgumentList.Add(a);
    }
    using var wrk = Process.Start(start)!;
    string output = wrk.StandardOutput.ReadToEnd() + wrk.StandardError.ReadToEnd();
    wrk.WaitForExit();
    // The run's events reach storage before the figures are taken, so each run pays for its own log.
    http!.Services.GetRequiredService<EventLogWriter>().FlushAsync().GetAwaiter().GetResult();
    if (script is null)
    {
        File.Delete(summary);
    }
    var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
        ?? throw new InvalidOperationException("wrk printed no result:\n" + output);
    var f = line.Split(' ')[1..].Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
    double requests = Math.Max(1.0, f[0]);
    double MicrosecondsPerRequest(TimeSpan used) => used.TotalMicroseconds / requests;
    return new WrkResult(f[0] / f[1], f[2] / 1000, f[3] / 1000, f[4] / 1000, f[5] / 1000, (long)f[6], (long)f[7],
        GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2, (GC.GetTotalPauseDuration() - paused).TotalMilliseconds,
        (GC.GetTotalAllocatedBytes(precise: true) - allocated) / requests,
        new CpuPerRequest(
            MicrosecondsPerRequest(Process.GetCurrentProcess().TotalProcessorTime - appCpu),
            MicrosecondsPerRequest(ChildrenProcessorTime() - wrkCpu),
            MicrosecondsPerRequest(azurite.ProcessorTime - storageCpu)));
}

// The CPU time of this process's children that have exited and been waited for (a finished wrk): cutime and
// cstime, fields 16 and 17 of /proc/self/stat, in clock ticks of 1/100 s.
static TimeSpan ChildrenProcessorTime()
{
    string stat = File.ReadAllText("/proc/self/stat");
    string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    long ticks = long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
    return TimeSpan.FromSeconds(ticks / 100.0);
}

static string WrkVersion()
{
    var start = new ProcessStartInfo("/usr/bin/wrk", "--version") { RedirectStandardOutput = true, RedirectStandardError = true };
    using var p = Process.Start(start)!;
    string v = (p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd()).Split('\n')[0];
    p.WaitForExit();
    return v.Split(" Copyright")[0];
}

static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
}

static string Ratio(string name, IEnumerable<double> perRound)
{
    var ratios = perRound.ToArray();
    return F($"{name}: {Median(ratios):P1} (rounds: {string.Join(", ", ratios.Select(r => F($"{r:P1}")))})");
}

/// <summary>A queue loop's drain rate and CPU per message; for the app also its log's statistics and its longest stall and poll.</summary>
internal sealed record QueueRun(double Rate, string Cpu, EventLogWriterStatistics? Log = null, TimeSpan LongestStall = default, TimeSpan LongestPoll = default);

internal readonly record struct WrkResult(double Rate, double P50Ms, double P90Ms, double P99Ms, double MaxMs, long Non2xx, long SocketErrors,
    int Gen0, int Gen1, int Gen2, double GcPauseMs, double AllocatedPerRequest, CpuPerRequest Cpu)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Rate,8:F0} req/s   p50 {P50Ms,6:F2} ms  p90 {P90Ms,6:F2} ms  p99 {P99Ms,6:F2} ms  max {MaxMs,7:F2} ms  non-2xx {Non2xx}  socket errors {SocketErrors}  " +
        $"GCs {Gen0}/{Gen1}/{Gen2} (gen 0/1/2), paused {GcPauseMs:F0} ms, {AllocatedPerRequest / 1024:F1} KiB allocated per request; {Cpu}");
}

/// <summary>CPU time per request, in µs, of the app, of wrk and of Azurite.</summary>
internal readonly record struct CpuPerRequest(double App, double Wrk, double Azurite)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"CPU per request: app {App:F1} µs, wrk {Wrk:F1} µs, Azurite {Azurite:F1} µs");
}

internal static class WrkScripts
{
    // Printed by every wrk run: requests, seconds, latency p50/p90/p99/max in µs, non-2xx, socket errors.
    public const string Done = """
        function done(summary, latency, requests)
          local e = summary.errors
          io.write(string.format("RESULT %d %.6f %d %d %d %d %d %d\n", summary.requests, summary.duration / 1e6,
            latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, e.status, e.connect + e.read + e.write + e.timeout))
        end
        """;
}
