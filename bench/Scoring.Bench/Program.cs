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
// Usage: dotnet run -c Release --project bench/Scoring.Bench [-- DATA.csv [linear|mlp|encoder|hybrid [fp32|int8]]]
// Encoder models are measured on 2,000 of the texts (every 6th of banking77), one text per call at ~3 ms.
var data = args.Length > 0 ? args[0] : Path.Combine("..", "shared", "data", "banking77", "banking77.csv");
var architecture = args.Length > 1 ? Enum.Parse<ModelArchitecture>(args[1], ignoreCase: true) : ModelArchitecture.Linear;
var precision = args.Length > 2 && args[2] == "int8" ? WeightPrecision.Quantized8 : WeightPrecision.Fp32;
var heavy = architecture is ModelArchitecture.Encoder or ModelArchitecture.Hybrid;
// On a GPU machine (bench/gpu-encoder.sh builds with -p:OnnxRuntimeFlavor=Gpu): VERDICT_BENCH_CUDA=1 runs the session
// on CUDA; VERDICT_BENCH_BATCHES picks the batch sizes (default 1,32).
var cuda = Environment.GetEnvironmentVariable("VERDICT_BENCH_CUDA") == "1";
int[] batches = [.. (Environment.GetEnvironmentVariable("VERDICT_BENCH_BATCHES") ?? "1,32").Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture))];
var work = Path.Combine(Path.GetTempPath(), "verdict-bench", Guid.NewGuid().ToString("N"));
if (!File.Exists(data))
{
    Console.WriteLine($"{data} not found; using the synthetic demo corpus instead.");
    data = Path.Combine(work, "corpus.csv");
    DemoCorpus.Write(data);
}
var trained = IntentTrainer.Train(new TrainingOptions
{
    DataPath = data, SplitColumn = "split", OutputDirectory = Path.Combine(work, "model"), Architecture = architecture, Precision = precision,
});
var texts = File.ReadLines(data).Skip(1).Select(l => l.StartsWith('"') ? l[1..l.LastIndexOf('"')] : l[..l.LastIndexOf(',', l.LastIndexOf(',') - 1)]).ToArray();
if (heavy)
{
    texts = [.. texts.Where((_, i) => i % 6 == 0).Take(2000)];
}
// First request after start: read the package, create the session (with its warm-up call), score one email.
var startClock = Stopwatch.StartNew();
var package = await ModelPackage.ReadFolderAsync(trained.PackageDirectory, CancellationToken.None);
var model = OnnxIntentModel.Load(package, intraOpThreads: 1, useCuda: cuda);
model.Score([texts[0]]);
var firstRequest = startClock.Elapsed.TotalMilliseconds;
Console.WriteLine($"model: {architecture.ToString().ToLowerInvariant()} {(precision == WeightPrecision.Quantized8 ? "int8" : "fp32")} on {Path.GetFileName(data)} ({trained.Manifest.Labels.Count} labels), {texts.Length} texts, {Environment.ProcessorCount} cores, {(cuda ? "CUDA" : "CPU")}, ONNX Runtime {OrtEnv.Instance().GetVersionString()}");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"model.onnx {package.Onnx.Length / 1e6:F1} MB; test accuracy {trained.Manifest.Metrics!.Accuracy:F4}; load + first request {firstRequest:F0} ms"));

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
int perClient = Math.Max(1, (heavy ? 2_000 : 20_000) / Clients);
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
model.Dispose();
Directory.Delete(work, recursive: true);

Stats Measure(int count, Action<int> action)
{
    var rounds = heavy ? 1 : Math.Max(1, 20_000 / count);
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
