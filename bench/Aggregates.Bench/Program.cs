// Analysis from partial aggregates: a year of daily partial aggregates (one file per day, as a daily job would write
// them) merged and analysed, beside the analysis of the same year's raw log in the same run.
// Usage: dotnet run -c Release --project bench/Aggregates.Bench -- [folder] [emails per day, default 5000] [days, default 365]
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Verdict.Experimentation.Analysis;

string folder = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "verdict-aggregates-bench");
int perDay = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5_000;
int days = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 365;
string logs = Path.Combine(folder, "log"), partials = Path.Combine(folder, "aggregates");
Directory.CreateDirectory(logs);
Directory.CreateDirectory(partials);
var c = CultureInfo.InvariantCulture;
var start = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
var random = new Random(1);
var sw = Stopwatch.StartNew();
for (int d = 0; d < days; d++)
{
    string log = Path.Combine(logs, $"day-{d:D3}.jsonl");
    string partial = Path.Combine(partials, $"day-{d:D3}.jsonl");
    if (File.Exists(partial))
    {
        continue;
    }
    var text = new StringBuilder();
    for (int i = 0; i < perDay; i++)
    {
        string id = $"d{d}-{i}";
        string arm = random.Next(2) == 0 ? "champion" : "challenger";
        var ts = start.AddDays(d).AddSeconds(random.Next(86_000));
        bool right = random.NextDouble() < (arm == "champion" ? 0.80 : 0.81);
        double seconds = Math.Round(Math.Exp(5.3 + (0.6 * Normal(random))));
        text.Append(c, $$"""{"type":"scored","id":"{{id}}","ts":"{{ts:yyyy-MM-ddTHH:mm:ssZ}}","experiment":"year","arm":"{{arm}}","model":"intent@{{(arm == "champion" ? 1 : 2)}}","intent":"positive","confidence":0.8,"phase":"ab"}""").Append('\n');
        text.Append(c, $$"""{"type":"outcome","id":"{{id}}","ts":"{{ts.AddMinutes(30):yyyy-MM-ddTHH:mm:ssZ}}","trueIntent":"{{(right ? "positive" : "objection")}}","handlingSeconds":{{seconds}}}""").Append('\n');
    }
    File.WriteAllText(log, text.ToString());
    await using var file = File.Create(partial);
    await PartialAggregates.WriteAsync(new AnalysisRequest { Events = [log] }, file);
}
var partialFiles = Directory.GetFiles(partials, "*.jsonl").Order(StringComparer.Ordinal).Take(days).ToArray();
long partialBytes = partialFiles.Sum(f => new FileInfo(f).Length);
long logBytes = Directory.GetFiles(logs).Take(days).Sum(f => new FileInfo(f).Length);
Console.WriteLine($"{days} days × {perDay:N0} emails ({2L * days * perDay:N0} events, {logBytes / 1e6:N0} MB of log); {partialFiles.Length} daily aggregates files, {partialBytes / 1e6:N1} MB; prepared in {sw.Elapsed.TotalSeconds:F0} s");

var request = new AnalysisRequest { Events = [] };
// Warm-up: tiered compilation reaches its optimised code only after a few whole runs.
for (int run = 0; run < 3; run++)
{
    await PartialAggregates.AnalyzeAsync(partialFiles, request);
}
var times = new List<double>();
AnalysisResult? fromAggregates = null;
for (int run = 0; run < 5; run++)
{
    sw.Restart();
    fromAggregates = await PartialAggregates.AnalyzeAsync(partialFiles, request);
    times.Add(sw.Elapsed.TotalSeconds);
}
sw.Restart();
var fromLog = await ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = [.. Directory.GetFiles(logs).Order(StringComparer.Ordinal).Take(days)] });
double logSeconds = sw.Elapsed.TotalSeconds;
Console.WriteLine($"analyze --aggregates, {partialFiles.Length} daily files: {times.Order().ElementAt(2):F3} s (median of 5: {string.Join(", ", times.Select(t => t.ToString("F3", c)))})");
Console.WriteLine($"analyze --events, the same year's log:  {logSeconds:F3} s");
Console.WriteLine($"verdict: {fromAggregates!.Verdict.Status} / {fromLog.Verdict.Status}; units {fromAggregates.Arms.Sum(a => a.Units):N0} / {fromLog.Arms.Sum(a => a.Units):N0}; " +
    $"handling p (welch-t-log) {P(fromAggregates)} / {P(fromLog)}");
return 0;

static string P(AnalysisResult r) => r.Metrics.Single(m => m.Metric == "handlingSeconds").Comparisons.Single(x => x.Test == "welch-t-log").PValue?.ToString("G10", CultureInfo.InvariantCulture) ?? "—";

static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
