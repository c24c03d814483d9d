using System.Data.Common;
using System.Globalization;
using System.Reflection;
using System.Text;
using DuckDB.NET.Data;
using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Statistics;

namespace Verdict.DuckDb;

/// <summary>Settings of the DuckDB engine.</summary>
public sealed record DuckDbOptions
{
    /// <summary>DuckDB's memory limit (e.g. <c>4GB</c>); beyond it, joins and aggregations spill to <see cref="TempDirectory"/>.</summary>
    public string MemoryLimit { get; init; } = "4GB";

    /// <summary>Where DuckDB spills; null: a folder under the system's temporary folder.</summary>
    public string? TempDirectory { get; init; }

    /// <summary>Threads DuckDB may use; 0: all cores.</summary>
    public int Threads { get; init; }
}

/// <summary>
/// <c>--engine duckdb</c>: the dedup rules, the join and the per-unit aggregation run as SQL (aggregates.sql) in an
/// embedded DuckDB, which spills to disk under its memory limit, over the same JSONL (or Parquet) files. It produces partial aggregates (docs/aggregates.md), which <see cref="PartialAggregates"/>
/// analyses; memory then depends on the number of arms, days and distinct handling times, not on the log's size.
/// </summary>
public static class DuckDbEngine
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>Writes the partial aggregates of the request's log to <paramref name="output"/>.</summary>
    /// <exception cref="EventLogException">A path is missing or not a local file or folder, or the experiment is ambiguous or absent.</exception>
    public static async Task WriteAggregatesAsync(AnalysisRequest request, DuckDbOptions options, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        var files = Files(request.Events);
        string temp = options.TempDirectory ?? Path.Combine(Path.GetTempPath(), "verdict-duckdb-" + Environment.ProcessId.ToString(C));
        Directory.CreateDirectory(temp);
        try
        {
            using var connection = new DuckDBConnection("DataSource=:memory:");
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, $"SET memory_limit = {Literal(options.MemoryLimit)}; SET temp_directory = {Literal(temp)}; SET preserve_insertion_order = false; SET TimeZone = 'UTC';" +
                (options.Threads > 0 ? $" SET threads = {options.Threads.ToString(C)};" : ""), cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, "CREATE OR REPLACE TEMP VIEW events_raw AS " + Source(files), cancellationToken).ConfigureAwait(false);
            string experiment = request.Experiment ?? await OnlyExperimentAsync(connection, cancellationToken).ConfigureAwait(false);
            var parameters = new Dictionary<string, string>
            {
                [":experiment"] = Literal(experiment),
                [":exclude_fallbacks"] = request.ExcludeFallbacks ? "true" : "false",
                [":as_of"] = request.AsOf is { } asOf ? $"TIMESTAMPTZ {Literal(asOf.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff+00", C))}" : "CAST(NULL AS TIMESTAMPTZ)",
                [":since"] = request.Since is { } since ? $"TIMESTAMPTZ {Literal(since.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff+00", C))}" : "CAST(NULL AS TIMESTAMPTZ)",
                [":positive"] = "[" + string.Join(", ", request.PositiveIntents.Select(Literal)) + "]::VARCHAR[]",
            };
            foreach (string statement in Script().Split("\n-- ;\n"))
            {
                string sql = parameters.Aggregate(statement, (s, p) => s.Replace(p.Key, p.Value, StringComparison.Ordinal));
                try
                {
                    await ExecuteAsync(connection, sql, cancellationToken).ConfigureAwait(false);
                }
                catch (DuckDBException ex)
                {
                    string table = sql.Split('\n').FirstOrDefault(l => l.StartsWith("CREATE", StringComparison.Ordinal)) ?? "";
                    throw new EventLogException($"DuckDB failed at '{table}': {ex.Message}");
                }
            }
            foreach (var observations in await ReadAsync(connection, experiment, files.Count, request.ExcludeFallbacks, cancellationToken).ConfigureAwait(false))
            {
                PartialAggregates.Write(observations, output);
            }
        }
        finally
        {
            if (options.TempDirectory is null)
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }

    /// <summary>Analyses the request's log through the engine: its partial aggregates, merged and analysed.</summary>
    public static async Task<AnalysisResult> AnalyzeAsync(AnalysisRequest request, DuckDbOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        string file = Path.Combine(Path.GetTempPath(), $"verdict-duckdb-{Guid.NewGuid():N}.jsonl");
        try
        {
            await using (var stream = File.Create(file))
            {
                await WriteAggregatesAsync(request, options, stream, cancellationToken).ConfigureAwait(false);
            }
            return await PartialAggregates.AnalyzeAsync([file], request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The SQL shared with the Spark job.</summary>
    public static string Script()
    {
        using var stream = typeof(DuckDbEngine).Assembly.GetManifestResourceStream("aggregates.sql") ?? throw new InvalidOperationException("aggregates.sql is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    private static List<string> Files(IReadOnlyList<string> paths)
    {
        var files = new List<string>();
        foreach (string path in paths)
        {
            if (path.Contains("://", StringComparison.Ordinal))
            {
                throw new EventLogException($"{path}: the DuckDB engine reads local files and folders; copy the log here first (for example with azcopy), or use the built-in engine");
            }
            if (Directory.Exists(path))
            {
                files.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => f.EndsWith(".jsonl", StringComparison.Ordinal) || f.EndsWith(".parquet", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
            }
            else if (File.Exists(path))
            {
                files.Add(path);
            }
            else
            {
                throw new EventLogException($"{path}: no such file or folder");
            }
        }
        if (files.Count == 0)
        {
            throw new EventLogException("no .jsonl or .parquet files to read");
        }
        return files;
    }

    private static readonly string[] Fields = ["type", "id", "ts", "experiment", "arm", "unit", "intent", "trueIntent", "handlingSeconds", "confidence", "model", "phase", "fallback", "covariate"];

    /// <summary>One row per line, one JSON column per field, from JSONL files (lines that are not JSON objects are skipped) and Parquet files.</summary>
    private static string Source(List<string> files)
    {
        var parts = new List<string>();
        var jsonl = files.Where(f => !f.EndsWith(".parquet", StringComparison.Ordinal)).ToList();
        if (jsonl.Count > 0)
        {
            string columns = "{" + string.Join(", ", Fields.Select(f => $"{Literal(f)}: 'JSON'")) + "}";
            parts.Add($"SELECT * FROM read_json([{string.Join(", ", jsonl.Select(Literal))}], format = 'newline_delimited', ignore_errors = true, columns = {columns})");
        }
        var parquet = files.Where(f => f.EndsWith(".parquet", StringComparison.Ordinal)).ToList();
        if (parquet.Count > 0)
        {
            parts.Add($"SELECT {string.Join(", ", Fields.Select(f => $"to_json(\"{f}\") AS \"{f}\""))} FROM read_parquet([{string.Join(", ", parquet.Select(Literal))}], union_by_name = true)");
        }
        return string.Join(" UNION ALL ", parts);
    }

    private static async Task<string> OnlyExperimentAsync(DuckDBConnection connection, CancellationToken ct)
    {
        var names = new List<string>();
        await QueryAsync(connection, "SELECT DISTINCT experiment ->> '$' FROM events_raw WHERE json_type(experiment) = 'VARCHAR' AND json_type(\"type\") = 'VARCHAR' AND (\"type\" ->> '$') IN ('scored', 'assigned') ORDER BY 1", r => names.Add(r.GetString(0)), ct).ConfigureAwait(false);
        return names.Count switch
        {
            1 => names[0],
            0 => throw new EventLogException("the log holds no exposures (scored or assigned events)"),
            _ => throw new EventLogException("the log holds several experiments (" + string.Join(", ", names) + "): choose one with --experiment"),
        };
    }

    private static async Task<List<ExperimentObservations>> ReadAsync(DuckDBConnection connection, string experiment, int sources, bool excludeFallbacks, CancellationToken ct)
    {
        EventLogDiagnostics log = new();
        await QueryAsync(connection, "SELECT * FROM result_log", r => log = new EventLogDiagnostics
        {
            Sources = sources,
            Lines = r.GetInt64(0),
            MalformedLines = r.GetInt64(1),
            UnknownTypes = r.GetInt64(2),
            DuplicateExposures = r.GetInt64(3),
            DuplicateOutcomes = r.GetInt64(4),
            OrphanOutcomes = r.GetInt64(5),
            OtherExperiments = r.GetInt64(6),
            AfterAsOf = r.GetInt64(7),
            BeforeSince = r.GetInt64(8),
            FallbacksExcluded = excludeFallbacks,
        }, ct).ConfigureAwait(false);
        var phases = new SortedDictionary<int, (bool Template, long Fallbacks, long? First, long? Last, long Conflicted, bool Several)>();
        await QueryAsync(connection, "SELECT phase, coalesce(template, false), fallbacks, first_us, last_us, conflicted_units, several FROM result_phases", r =>
            phases[r.GetInt32(0)] = (r.GetBoolean(1), r.GetInt64(2), r.IsDBNull(3) ? null : r.GetInt64(3), r.IsDBNull(4) ? null : r.GetInt64(4), r.GetInt64(5), r.GetBoolean(6)), ct).ConfigureAwait(false);
        var arms = new Dictionary<(int Phase, string Arm), ArmObservations>();
        ArmObservations Arm(int phase, string name) => arms.TryGetValue((phase, name), out var a) ? a : arms[(phase, name)] = new ArmObservations(name);
        await QueryAsync(connection, "SELECT * FROM result_arms", r =>
        {
            var a = Arm(r.GetInt32(0), r.GetString(1));
            a.Exposures = r.GetInt64(2);
            a.Units = r.GetInt64(3);
            if (!r.IsDBNull(4))
            {
                foreach (object? model in (System.Collections.IEnumerable)r.GetValue(4))
                {
                    a.Models.Add((string)model!);
                }
            }
            a.Accuracy = new ProportionSummary(r.GetInt64(5), r.GetInt64(6));
            a.Handling = Mean(r, 7, 8, 9);
            a.HandlingLog = Mean(r, 7, 10, 11);
            a.Replies = new ProportionSummary(r.GetInt64(12), r.GetInt64(13));
            a.PositiveReplies = new ProportionSummary(r.GetInt64(12), r.GetInt64(14));
            a.Brier = Mean(r, 15, 16, 17);
            a.CupedHandling = r.GetInt64(18) == 0 ? default : new RatioSummary(r.GetInt64(18), r.GetDouble(19), r.GetDouble(20), r.GetDouble(21), r.GetDouble(22), r.GetDouble(23));
        }, ct).ConfigureAwait(false);
        await QueryAsync(connection, "SELECT * FROM result_unit_ratios", r =>
        {
            var a = Arm(r.GetInt32(0), r.GetString(1));
            var ratio = new RatioSummary(r.GetInt64(3), r.GetDouble(4), r.GetDouble(5), r.GetDouble(6), r.GetDouble(7), r.GetDouble(8));
            switch (r.GetString(2))
            {
                case "accuracy": a.AccuracyByUnit = ratio; break;
                case "handling": a.HandlingByUnit = ratio; break;
                case "replies": a.RepliesByUnit = ratio; break;
                default: a.PositiveRepliesByUnit = ratio; break;
            }
        }, ct).ConfigureAwait(false);
        await QueryAsync(connection, "SELECT * FROM result_values ORDER BY value", r =>
        {
            var a = Arm(r.GetInt32(0), r.GetString(1));
            (r.GetBoolean(2) ? a.UnitHandlingMeans : a.HandlingValues).AddRange(Enumerable.Repeat(r.GetDouble(3), (int)r.GetInt64(4)));
        }, ct).ConfigureAwait(false);
        var days = new List<(int Phase, string Arm, long Day, DayCounts Counts)>();
        await QueryAsync(connection, "SELECT * FROM result_days", r => days.Add((r.GetInt32(0), r.GetString(1), r.GetInt64(2),
            new DayCounts(r.GetInt64(3), new ProportionSummary(r.GetInt64(4), r.GetInt64(5)), new ProportionSummary(r.GetInt64(6), r.GetInt64(7))))), ct).ConfigureAwait(false);
        var cells = new List<(int Phase, string Arm, string Kind, string? A, string B, long N, double X, long Y)>();
        await QueryAsync(connection, "SELECT * FROM result_cells", r => cells.Add((r.GetInt32(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetString(4),
            r.GetInt64(5), Convert.ToDouble(r.GetValue(6), C), Convert.ToInt64(r.GetValue(7), C))), ct).ConfigureAwait(false);

        var intents = cells.Where(c => c.Kind == "confusion").SelectMany(c => new[] { c.A!, c.B }).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var index = intents.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i, StringComparer.Ordinal);
        var result = new List<ExperimentObservations>();
        foreach (var (phase, p) in phases)
        {
            var phaseArms = arms.Where(a => a.Key.Phase == phase).Select(a => a.Value).ToList();
            long firstDay = p.First is long f ? Math.DivRem(f, 86_400_000_000L) is var (q, rem) && rem < 0 ? q - 1 : q : 0;
            foreach (var a in phaseArms)
            {
                a.Confusion = new long[intents.Count * intents.Count];
                foreach (var c in cells.Where(c => c.Phase == phase && c.Arm == a.Name))
                {
                    switch (c.Kind)
                    {
                        case "confusion": a.Confusion[(index[c.A!] * intents.Count) + index[c.B]] += c.N; break;
                        case "calibration": a.Calibration[int.Parse(c.B, C)] = new CalibrationBin(c.N, c.X, c.Y); break;
                        default: a.OutcomeDelays.AddBin(int.Parse(c.B, C), c.N); break;
                    }
                }
                foreach (var d in days.Where(d => d.Phase == phase && d.Arm == a.Name).OrderBy(d => d.Day))
                {
                    int offset = (int)(d.Day - firstDay);
                    while (a.Days.Count <= offset)
                    {
                        a.Days.Add(default);
                    }
                    a.Days[offset] = d.Counts;
                }
            }
            result.Add(new ExperimentObservations
            {
                Experiment = experiment,
                IsTemplate = p.Template,
                Phase = (EventPhase)phase,
                SeveralExposuresPerUnit = p.Several,
                Intents = intents,
                Arms = [.. phaseArms.Where(o => o.Exposures > 0 || o.Units > 0).OrderBy(o => o.Name, StringComparer.Ordinal)],
                FirstExposure = p.First is long first ? DateTimeOffset.UnixEpoch.AddTicks(first * 10) : null,
                LastExposure = p.Last is long last ? DateTimeOffset.UnixEpoch.AddTicks(last * 10) : null,
                Diagnostics = log with { UnitsInSeveralArms = p.Conflicted, FallbackExposures = p.Fallbacks },
            });
        }
        return result;
    }

    private static MeanSummary Mean(DbDataReader r, int count, int mean, int m2) =>
        r.GetInt64(count) == 0 ? default : new MeanSummary(r.GetInt64(count), r.GetDouble(mean), r.GetDouble(m2));

    private static async Task ExecuteAsync(DuckDBConnection connection, string sql, CancellationToken ct)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task QueryAsync(DuckDBConnection connection, string sql, Action<DbDataReader> row, CancellationToken ct)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            row(reader);
        }
    }

    private static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
