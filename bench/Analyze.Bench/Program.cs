// verdict analyze over 10 million events (5M scored + 5M outcome) in JSONL files on disk, beside a bare
// parse-only pass (Utf8JsonReader over every token, no analysis) over the same files in the same run.
// Usage: dotnet run -c Release --project bench/Analyze.Bench -- [folder] [scored events, default 5000000] [generate-only]
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Events;

string folder = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "verdict-analyze-bench");
int scored = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5_000_000;
var files = Generate(folder, scored);
if (args.Length > 2 && args[2] == "generate-only")
{
    return;
}
long bytes = files.Sum(f => new FileInfo(f).Length);
long events = 2L * scored;
Console.WriteLine($"{events:N0} events in {files.Count} files, {bytes / 1e6:N0} MB");

// Warm the page cache and the JIT for both passes on one file.
ParseOnly(files[..1]);
await Analyze([files[0]]);

var sw = Stopwatch.StartNew();
long tokens = ParseOnly(files);
double parseSeconds = sw.Elapsed.TotalSeconds;

long rssBefore = ResetPeakAndReadRss();
sw.Restart();
var result = await Analyze([folder]);
double analyzeSeconds = sw.Elapsed.TotalSeconds;
long peak = ReadStatus("VmHWM:");

Console.WriteLine($"parse-only (Utf8JsonReader, {tokens:N0} tokens): {parseSeconds:F2} s, {events / parseSeconds / 1e6:F2} M events/s");
Console.WriteLine($"verdict analyze:                              {analyzeSeconds:F2} s, {events / analyzeSeconds / 1e6:F2} M events/s");
Console.WriteLine($"analyze / parse-only throughput: {parseSeconds / analyzeSeconds:P0} (goal ≥ 50%)");
Console.WriteLine($"peak RSS during analyze: {peak / 1e6:N0} MB (process before: {rssBefore / 1e6:N0} MB) → {(double)(peak - rssBefore) / scored:F0} bytes per scored event (goal ≤ 128)");
Console.WriteLine($"verdict: {result.Verdict.Status}: {result.Verdict.Summary}");
Console.WriteLine($"first touch of as much fresh memory ({(peak - rssBefore) / 1e6:N0} MB, one write per 4 KiB page): {TouchFreshMemory(peak - rssBefore):F2} s");

// Where the time goes: reading and joining (sized up front, as analyze does), per-unit aggregation, tests.
sw.Restart();
var reader = new EventLogReader("bench", null, strict: false);
reader.Reserve(bytes);
foreach (string file in files)
{
    using var stream = File.OpenRead(file);
    reader.Read(stream, file);
}
reader.PhasesOf(); // waits for the join to apply the last events
double read = sw.Elapsed.TotalSeconds;
sw.Restart();
var observations = reader.Complete();
double aggregate = sw.Elapsed.TotalSeconds;
sw.Restart();
ExperimentAnalyzer.Analyze(observations, new AnalysisRequest { Events = [] });
Console.WriteLine($"breakdown: read and join {read:F2} s, aggregate {aggregate:F2} s, tests {sw.Elapsed.TotalSeconds:F2} s");

static async Task<AnalysisResult> Analyze(IReadOnlyList<string> paths) =>
    await ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = paths, Experiment = "bench" });

static long ParseOnly(IEnumerable<string> files)
{
    long tokens = 0;
    foreach (string file in files)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        JsonLines.Read(stream, (line, _) =>
        {
            var reader = new Utf8JsonReader(line);
            while (reader.Read())
            {
                tokens++;
            }
        });
    }
    return tokens;
}

// What the page faults alone cost on this machine: analyze has to hold its per-event state somewhere.
static double TouchFreshMemory(long bytes)
{
    var sw = Stopwatch.StartNew();
    var chunks = new List<byte[]>();
    for (long left = bytes; left > 0; left -= 1 << 24)
    {
        var chunk = GC.AllocateUninitializedArray<byte>((int)Math.Min(left, 1 << 24));
        for (int i = 0; i < chunk.Length; i += 4096)
        {
            chunk[i] = 1;
        }
        chunks.Add(chunk);
    }
    GC.KeepAlive(chunks);
    return sw.Elapsed.TotalSeconds;
}

static long ResetPeakAndReadRss()
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0).
    File.WriteAllText("/proc/self/clear_refs", "5");
    return ReadStatus("VmRSS:");
}

static long ReadStatus(string key)
{
    string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(key, StringComparison.Ordinal));
    return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
}

// Hourly partitions as the event log writer makes them; outcomes land in later hours than their exposures.
static List<string> Generate(string folder, int scored)
{
    var marker = Path.Combine(folder, $"complete-{scored}");
    var files = Directory.Exists(folder) ? Directory.GetFiles(folder, "*.jsonl").Order(StringComparer.Ordinal).ToList() : [];
    if (File.Exists(marker))
    {
        return files;
    }
    if (Directory.Exists(folder))
    {
        Directory.Delete(folder, recursive: true);
    }
    Directory.CreateDirectory(folder);
    var rng = new Random(42);
    string[] intents = ["positive", "objection", "not-sure", "unsubscribe", "out-of-office"];
    const int perFile = 500_000;
    var start = new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);
    for (int f = 0; f * perFile < scored; f++)
    {
        using var exposures = new StreamWriter(Path.Combine(folder, $"h{f:D3}-scored.jsonl"), false, new UTF8Encoding(false), 1 << 20);
        using var outcomes = new StreamWriter(Path.Combine(folder, $"h{f + 1:D3}-outcome.jsonl"), false, new UTF8Encoding(false), 1 << 20);
        for (int i = f * perFile; i < Math.Min(scored, (f + 1) * perFile); i++)
        {
            bool challenger = (i & 1) == 1;
            string ts = start.AddSeconds(i * 0.5).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
            string intent = intents[rng.Next(intents.Length)];
            string truth = rng.NextDouble() < (challenger ? 0.83 : 0.81) ? intent : intents[rng.Next(intents.Length)];
            double seconds = 180 * (challenger ? 0.95 : 1.0) * Math.Exp(0.9 * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
            string arm = challenger ? "challenger" : "champion";
            exposures.Write(string.Create(CultureInfo.InvariantCulture,
                $"{{\"type\":\"scored\",\"id\":\"sc-{i:D9}\",\"ts\":\"{ts}\",\"experiment\":\"bench\",\"arm\":\"{arm}\",\"unit\":\"contact-{i:D9}\",\"model\":\"{arm}@3\",\"intent\":\"{intent}\",\"confidence\":0.{rng.Next(100, 999)},\"phase\":\"ab\",\"latencyMs\":1.{rng.Next(10, 99)}}}\n"));
            outcomes.Write(string.Create(CultureInfo.InvariantCulture,
                $"{{\"type\":\"outcome\",\"id\":\"sc-{i:D9}\",\"ts\":\"{ts}\",\"trueIntent\":\"{truth}\",\"handlingSeconds\":{seconds:0.###}}}\n"));
        }
    }
    File.WriteAllText(marker, "");
    return [.. Directory.GetFiles(folder, "*.jsonl").Order(StringComparer.Ordinal)];
}
