using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Verdict.Scoring.Featurizers;
using Verdict.Scoring.Inference;
using Verdict.Scoring.Packages;
using Verdict.Training;
using Verdict.Training.Demo;

// Scoring benchmark: end-to-end scoring (featurize → ONNX Runtime → softmax → result records) beside the
// bare InferenceSession.Run on pre-featurized inputs of the same model, in the same run.
// Usage: dotnet run -c Release --project bench/Scoring.Bench [-- DATA.csv [linear|mlp]]
var data = args.Length > 0 ? args[0] : Path.Combine("..", "shared", "data", "banking77", "banking77.csv");
var architecture = args.Length > 1 && args[1] == "mlp" ? ModelArchitecture.Mlp : ModelArchitecture.Linear;
var work = Path.Combine(Path.GetTempPath(), "verdict-bench", Guid.NewGuid().ToString("N"));
if (!File.Exists(data))
{
    Console.WriteLine($"{data} not found; using the synthetic demo corpus instead.");
    data = Path.Combine(work, "corpus.csv");
    DemoCorpus.Write(data);
}
var trained = IntentTrainer.Train(new TrainingOptions
{
    DataPath = data, SplitColumn = "split", OutputDirectory = Path.Combine(work, "model"), Architecture = architecture,
});
var texts = File.ReadLines(data).Skip(1).Select(l => l.StartsWith('"') ? l[1..l.LastIndexOf('"')] : l[..l.LastIndexOf(',', l.LastIndexOf(',') - 1)]).ToArray();
var package = await ModelPackage.ReadFolderAsync(trained.PackageDirectory, CancellationToken.None);
using var model = OnnxIntentModel.Load(package, intraOpThreads: 1, useCuda: false);
Console.WriteLine($"model: {architecture.ToString().ToLowerInvariant()} on {Path.GetFileName(data)} ({trained.Manifest.Labels.Count} labels), {texts.Length} texts, {Environment.ProcessorCount} cores, ONNX Runtime {OrtEnv.Instance().GetVersionString()}");

var batches = new[] { 1, 32 };
foreach (var batchSize in batches)
{
    var groups = texts.Chunk(batchSize).Where(g => g.Length == batchSize).ToArray();
    var featurized = groups.Select(g => model.Featurizer.Featurize(g)).ToArray();
    // Warm up both paths.
    for (var i = 0; i < Math.Min(200, groups.Length); i++)
    {
        model.Score(groups[i]);
        model.RunRaw(featurized[i], out _);
    }
    var bare = Measure(groups.Length, i => model.RunRaw(featurized[i], out _));
    var full = Measure(groups.Length, i => model.Score(groups[i]));
    var features = Measure(groups.Length, i => model.Featurizer.Featurize(groups[i]).Dispose());
    Console.WriteLine($"batch {batchSize,2}: featurize    {Describe(features, batchSize)}");
    Console.WriteLine($"batch {batchSize,2}: bare Run     {Describe(bare, batchSize)}");
    Console.WriteLine($"batch {batchSize,2}: end-to-end   {Describe(full, batchSize)}");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"batch {batchSize,2}: end-to-end / bare mean latency = {full.Mean / bare.Mean:F2}x"));
}
// 64 concurrent clients, one text per call: each calling the model directly, or through the micro-batcher
// that gathers their calls into one session run (what the GPU service does), in the same run.
const int Clients = 64;
int perClient = Math.Max(1, 20_000 / Clients);
async Task<double> ConcurrentAsync(Func<string, ValueTask> call)
{
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
    {
        for (int i = 0; i < perClient; i++)
        {
            await call(texts[((c * perClient) + i) % texts.Length]);
        }
    })));
    return Clients * perClient / clock.Elapsed.TotalSeconds;
}
await ConcurrentAsync(t => { model.Score([t]); return ValueTask.CompletedTask; });
double direct = await ConcurrentAsync(t => { model.Score([t]); return ValueTask.CompletedTask; });
await using (var batcher = new Verdict.Scoring.Batching.MicroBatcher<string, Verdict.Scoring.IntentScore>(
    (batch, _) => ValueTask.FromResult<IReadOnlyList<Verdict.Scoring.IntentScore>>(model.Score(batch)),
    new Verdict.Scoring.Batching.MicroBatcherOptions { MaxBatchSize = 32, MaxWait = TimeSpan.FromMilliseconds(1) }))
{
    await ConcurrentAsync(async t => await batcher.RunAsync(t));
    long batches0 = batcher.Batches, items0 = batcher.Items;
    double batched = await ConcurrentAsync(async t => await batcher.RunAsync(t));
    double mean = (double)(batcher.Items - items0) / (batcher.Batches - batches0);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{Clients} clients: unbatched {direct,9:F0} texts/s   micro-batched (≤32, 1 ms) {batched,9:F0} texts/s, mean batch {mean:F1}   batched / unbatched = {batched / direct:F2}x"));
}
Directory.Delete(work, recursive: true);

static Stats Measure(int count, Action<int> action)
{
    var rounds = Math.Max(1, 20_000 / count);
    var samples = new double[count * rounds];
    var total = Stopwatch.StartNew();
    for (var r = 0; r < rounds; r++)
    {
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            action(i);
            samples[(r * count) + i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
    }
    total.Stop();
    Array.Sort(samples);
    return new Stats(samples.Length, total.Elapsed.TotalSeconds, samples.Average(), samples[samples.Length / 2],
        samples[(int)(samples.Length * 0.95)], samples[(int)(samples.Length * 0.99)]);
}

static string Describe(Stats s, int batchSize) => string.Create(CultureInfo.InvariantCulture,
    $"{s.Calls * batchSize / s.Seconds,9:F0} texts/s   p50 {s.P50,7:F1} µs  p95 {s.P95,7:F1} µs  p99 {s.P99,7:F1} µs  (per call)");

internal readonly record struct Stats(int Calls, double Seconds, double Mean, double P50, double P95, double P99);
