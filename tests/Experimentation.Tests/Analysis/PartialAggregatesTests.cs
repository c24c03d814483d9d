using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Tests.Events;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Analysis;

/// <summary>
/// Partial aggregates against the log they came from, on the differential suite's seeded random logs (duplicates,
/// late and orphan outcomes, up to six arms, units in several arms, unit-level metrics, templates, malformed lines):
/// analysing the aggregates gives what analysing the log gives, written whole or split by unit and merged.
/// </summary>
public sealed class PartialAggregatesTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 16)];

    private string WriteSources(string name, List<List<string>> sources)
    {
        string folder = _dir.Combine(name);
        Directory.CreateDirectory(folder);
        for (int s = 0; s < sources.Count; s++)
        {
            File.WriteAllText(Path.Combine(folder, $"source-{s}.jsonl"), string.Join("\n", sources[s]) + "\n");
        }
        return folder;
    }

    private async Task<string> AggregateAsync(AnalysisRequest request, string name)
    {
        string path = _dir.Combine(name);
        await using (var file = File.Create(path))
        {
            await PartialAggregates.WriteAsync(request, file);
        }
        return path;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task TheAggregatesOfALog_AnalyseAsTheLogDoes(int seed)
    {
        var log = EventLogReaderDifferentialTests.Generate(seed);
        string folder = WriteSources($"log-{seed}", log.Sources);
        foreach (string experiment in log.Experiments)
        {
            var request = new AnalysisRequest { Events = [folder], Experiment = experiment, Guardrails = [new Guardrail("accuracy", 0.02)] };
            if (experiment.StartsWith("tpl", StringComparison.Ordinal))
            {
                request = request with { Guardrails = [] };
            }
            var raw = await ExperimentAnalysis.RunAsync(request);
            string aggregates = await AggregateAsync(request, $"agg-{seed}-{experiment.Length}.jsonl");

            var merged = await PartialAggregates.AnalyzeAsync([aggregates], request);

            AssertSameJson(AnalysisFormats.ToJson(raw), AnalysisFormats.ToJson(merged), $"seed {seed}, {experiment}");
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task TheAggregatesOfALogSplitByUnit_MergeIntoWhatTheWholeLogGives(int seed)
    {
        var log = EventLogReaderDifferentialTests.Generate(seed);
        string folder = WriteSources($"whole-{seed}", log.Sources);
        // Every line of an id goes to the shard of its unit (of its id when no exposure names one): shards hold disjoint units.
        var keyOf = new Dictionary<string, string>(StringComparer.Ordinal);
        var parsed = log.Sources.Select(source => source.Select(Parse).ToList()).ToList();
        foreach (var (id, unit, exposure) in parsed.SelectMany(s => s))
        {
            if (id is not null && exposure && (unit is not null || !keyOf.ContainsKey(id)))
            {
                keyOf[id] = unit ?? keyOf.GetValueOrDefault(id) ?? id;
            }
        }
        const int Shards = 3;
        int ShardOf((string? Id, string? Unit, bool Exposure) line) =>
            line.Id is null ? 0 : (int)(System.IO.Hashing.XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(keyOf.GetValueOrDefault(line.Id) ?? line.Id)) % Shards);
        foreach (string experiment in log.Experiments)
        {
            var request = new AnalysisRequest { Events = [folder], Experiment = experiment };
            var raw = await ExperimentAnalysis.RunAsync(request);
            var partials = new List<string>();
            for (int shard = 0; shard < Shards; shard++)
            {
                var sources = log.Sources.Select((source, s) => source.Where((_, i) => ShardOf(parsed[s][i]) == shard).ToList()).ToList();
                string shardFolder = WriteSources($"shard-{seed}-{experiment.Length}-{shard}", sources);
                if (sources.Any(s => s.Any(l => l.Contains(JsonSerializer.Serialize(experiment)[1..^1], StringComparison.Ordinal))))
                {
                    try
                    {
                        partials.Add(await AggregateAsync(request with { Events = [shardFolder] }, $"shard-{seed}-{experiment.Length}-{shard}.jsonl"));
                    }
                    catch (EventLogException)
                    {
                        // A shard without an exposure of the experiment has nothing to aggregate.
                    }
                }
            }

            var merged = await PartialAggregates.AnalyzeAsync(partials, request);

            // The shards are read as more files, and their malformed lines come in another order.
            AssertSameJson(AnalysisFormats.ToJson(raw), AnalysisFormats.ToJson(merged), $"seed {seed}, {experiment}, {partials.Count} shards", ["sources", "malformedExamples"]);
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task TheDuckDbEngine_AnalysesALogAsTheBuiltInReaderDoes(int seed)
    {
        var log = EventLogReaderDifferentialTests.Generate(seed);
        string folder = WriteSources($"duck-{seed}", log.Sources);
        var rng = new Random(seed * 31);
        foreach (string experiment in log.Experiments)
        {
            var request = new AnalysisRequest
            {
                Events = [folder], Experiment = experiment, ExcludeFallbacks = rng.Next(2) == 0,
                AsOf = rng.Next(3) == 0 ? new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero).AddDays(rng.Next(2, 5)) : null,
            };
            var raw = await ExperimentAnalysis.RunAsync(request);

            var duck = await Verdict.DuckDb.DuckDbEngine.AnalyzeAsync(request, new Verdict.DuckDb.DuckDbOptions { MemoryLimit = "512MB", Threads = 2 });

            // The reader's counts differ where docs/aggregates.md says: DuckDB skips a line that is not a JSON object without counting it.
            AssertSameJson(AnalysisFormats.ToJson(raw), AnalysisFormats.ToJson(duck), $"seed {seed}, {experiment}", ["lines", "malformedLines", "malformedExamples"]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(11)]
    public async Task ResultTablesWrittenAsSparkWritesThem_GiveTheEnginesAggregates(int seed)
    {
        var log = EventLogReaderDifferentialTests.Generate(seed);
        string folder = WriteSources($"tables-log-{seed}", log.Sources);
        var request = new AnalysisRequest { Events = [folder], Experiment = log.Experiments[0] };
        string tables = _dir.Combine($"tables-{seed}");
        using var direct = new MemoryStream();
        await Verdict.DuckDb.DuckDbEngine.WriteAggregatesAsync(request, new Verdict.DuckDb.DuckDbOptions { MemoryLimit = "512MB", Threads = 2, TablesFolder = tables }, direct);

        // As DataFrame.write.json leaves them: a folder of part files per table, rows in any order, null columns left out.
        string spark = _dir.Combine($"spark-{seed}");
        var rng = new Random(seed);
        foreach (string table in ResultTables.Names)
        {
            var rows = File.ReadAllLines(Path.Combine(tables, table + ".jsonl")).OrderBy(_ => rng.Next()).Select(line =>
            {
                var row = JsonNode.Parse(line)!.AsObject();
                foreach (string column in row.Where(p => p.Value is null).Select(p => p.Key).ToList())
                {
                    row.Remove(column);
                }
                return row.ToJsonString();
            }).ToList();
            Directory.CreateDirectory(Path.Combine(spark, table));
            File.WriteAllLines(Path.Combine(spark, table, "part-00000-c000.json"), rows.Take(rows.Count / 2));
            File.WriteAllLines(Path.Combine(spark, table, "part-00001-c000.json"), rows.Skip(rows.Count / 2));
        }
        using var fromFolder = new MemoryStream();

        ResultTables.WriteAggregatesFromFolder(spark, fromFolder);

        Assert.Equal(Encoding.UTF8.GetString(direct.ToArray()), Encoding.UTF8.GetString(fromFolder.ToArray()));
    }

    [Fact]
    public void ResultTables_AMissingTableOrABadValue_IsOneErrorNamingTheFile()
    {
        string folder = _dir.Combine("incomplete");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "result_log.jsonl"), """{"experiment":"e","sources":"two"}""" + "\n");

        var missing = Assert.Throws<EventLogException>(() => ResultTables.WriteAggregatesFromFolder(folder, Stream.Null));
        foreach (string table in ResultTables.Names.Skip(1))
        {
            File.WriteAllText(Path.Combine(folder, table + ".jsonl"), "");
        }
        var bad = Assert.Throws<EventLogException>(() => ResultTables.WriteAggregatesFromFolder(folder, Stream.Null));

        Assert.Equal($"{folder}: the result table result_phases is missing (expected result_phases.jsonl, or a folder result_phases/ of part files)", missing.Message);
        Assert.Equal($"{Path.Combine(folder, "result_log.jsonl")}:1: sources must be an integer", bad.Message);
    }

    private static (string? Id, string? Unit, bool Exposure) Parse(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var e = doc.RootElement;
            string? id = e.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
            string? unit = e.TryGetProperty("unit", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
            bool exposure = e.TryGetProperty("type", out var t) && t.GetString() is "scored" or "assigned";
            return (id, unit, exposure);
        }
        catch (JsonException)
        {
            return (null, null, false);
        }
    }

    [Fact]
    public async Task ABadAggregatesLine_IsRefusedNamingTheFileAndLine()
    {
        string path = _dir.Combine("bad.jsonl");
        File.WriteAllText(path, """{"format":"verdict-aggregates","version":1,"experiment":"e","phase":"ab","record":"phase","kind":"model","severalExposuresPerUnit":false,"intents":[],"log":{},"paired":[]}""" + "\n" + """{"format":"verdict-aggregates","version":9,"experiment":"e","phase":"ab","record":"arm"}""" + "\n");

        var error = await Assert.ThrowsAsync<EventLogException>(() => PartialAggregates.AnalyzeAsync([path], new AnalysisRequest { Events = [] }));

        Assert.StartsWith($"{path}:2: not a partial aggregate: version 9 is not supported", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Equal JSON, numbers to 1e-9 relative (merged sums of squares differ from one pass in the last bits).</summary>
    private static void AssertSameJson(string expected, string actual, string where, IReadOnlyCollection<string>? ignored = null)
    {
        var differences = new List<string>();
        Compare(JsonNode.Parse(expected), JsonNode.Parse(actual), "$", differences, ignored ?? []);
        Assert.True(differences.Count == 0, $"{where}: {string.Join("; ", differences.Take(8))}");
    }

    private static void Compare(JsonNode? a, JsonNode? b, string path, List<string> differences, IReadOnlyCollection<string> ignored)
    {
        switch (a, b)
        {
            case (null, null):
                return;
            case (JsonObject x, JsonObject y):
                foreach (string key in x.Select(p => p.Key).Union(y.Select(p => p.Key)))
                {
                    if (!ignored.Contains(key))
                    {
                        Compare(x[key], y[key], $"{path}.{key}", differences, ignored);
                    }
                }
                return;
            case (JsonArray x, JsonArray y):
                if (x.Count != y.Count)
                {
                    differences.Add($"{path}: {x.Count} items against {y.Count}");
                    return;
                }
                for (int i = 0; i < x.Count; i++)
                {
                    Compare(x[i], y[i], $"{path}[{i}]", differences, ignored);
                }
                return;
            case (JsonValue x, JsonValue y) when x.GetValueKind() == JsonValueKind.Number && y.GetValueKind() == JsonValueKind.Number:
                double p = x.GetValue<double>(), q = y.GetValue<double>();
                if (Math.Abs(p - q) > 1e-9 * Math.Max(1e-3, Math.Max(Math.Abs(p), Math.Abs(q))))
                {
                    differences.Add($"{path}: {p} against {q}");
                }
                return;
            default:
                if (a?.ToJsonString() != b?.ToJsonString())
                {
                    differences.Add($"{path}: {a?.ToJsonString()} against {b?.ToJsonString()}");
                }
                return;
        }
    }
}
