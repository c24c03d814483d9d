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

    /// <summary>When set, each result table is also written there as <c>NAME.jsonl</c>, the form <c>verdict aggregate --tables</c> reads (as the Spark job writes them).</summary>
    public string? TablesFolder { get; init; }
}

/// <summary>
/// <c>--engine duckdb</c>: the dedup rules, the join and the per-unit aggregation run as the SQL shared with the Spark job (sql/aggregates.sql, over DuckDB's source read, source.sql) in an
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
        var files = await FilesAsync(request.Events, cancellationToken).ConfigureAwait(false);
        // One folder per call: calls in one process (an app, a test run) spill apart and never delete each other's folder.
        string temp = options.TempDirectory ?? Path.Combine(Path.GetTempPath(), $"verdict-duckdb-{Environment.ProcessId.ToString(C)}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            using var connection = new DuckDBConnection("DataSource=:memory:");
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, $"SET memory_limit = {Literal(options.MemoryLimit)}; SET temp_directory = {Literal(temp)}; SET preserve_insertion_order = false; SET TimeZone = 'UTC';" +
                (options.Threads > 0 ? $" SET threads = {options.Threads.ToString(C)};" : ""), cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, "CREATE OR REPLACE TEMP VIEW events_raw AS " + Source(files), cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, Resource("source.sql"), cancellationToken).ConfigureAwait(false);
            string experiment = request.Experiment ?? await OnlyExperimentAsync(connection, cancellationToken).ConfigureAwait(false);
            var parameters = new Dictionary<string, string>
            {
                ["experiment"] = Literal(experiment),
                ["sources"] = files.Count.ToString(C),
                ["exclude_fallbacks"] = request.ExcludeFallbacks ? "true" : "false",
                ["as_of"] = Microseconds(request.AsOf),
                ["since"] = Microseconds(request.Since),
                ["positive"] = "(" + (request.PositiveIntents.Count == 0 ? "NULL" : string.Join(", ", request.PositiveIntents.Select(Literal))) + ")",
            };
            foreach (var step in AggregateSteps.Parse(Script()))
            {
                string sql = step.Bind(parameters);
                string create = step.Kind == AggregateStepKind.View ? "CREATE OR REPLACE TEMP VIEW" : "CREATE OR REPLACE TEMP TABLE";
                try
                {
                    await ExecuteAsync(connection, $"{create} {step.Name} AS\n{sql}", cancellationToken).ConfigureAwait(false);
                    foreach (string table in step.Drop)
                    {
                        await ExecuteAsync(connection, $"DROP TABLE IF EXISTS {table}", cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (DuckDBException ex)
                {
                    throw new EventLogException($"DuckDB failed at step {step.Name}: {ex.Message}");
                }
            }
            if (options.TablesFolder is { } folder)
            {
                Directory.CreateDirectory(folder);
                foreach (string table in ResultTables.Names)
                {
                    await ExecuteAsync(connection, $"COPY {table} TO {Literal(Path.Combine(folder, table + ".jsonl"))} (FORMAT json)", cancellationToken).ConfigureAwait(false);
                }
            }
            ResultTables.WriteAggregates(name => Rows(connection, name), output);
        }
        finally
        {
            if (options.TempDirectory is null)
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }

    /// <summary>Analyses the request's log through the engine: its partial aggregates, merged and analysed as <c>analyze --aggregates</c> would.</summary>
    public static async Task<AnalysisResult> AnalyzeAsync(AnalysisRequest request, DuckDbOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var aggregates = new MemoryStream();
        await WriteAggregatesAsync(request, options, aggregates, cancellationToken).ConfigureAwait(false);
        aggregates.Position = 0;
        return await PartialAggregates.AnalyzeAsync([("the DuckDB engine's aggregates", () => new StreamReader(aggregates, Encoding.UTF8, leaveOpen: true))], request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>sql/aggregates.sql, the SQL shared with the Spark job.</summary>
    public static string Script() => Resource("aggregates.sql");

    private static string Resource(string name)
    {
        using var stream = typeof(DuckDbEngine).Assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException(name + " is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    private static async Task<List<string>> FilesAsync(IReadOnlyList<string> paths, CancellationToken cancellationToken)
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
                // The same files the built-in reader reads: .jsonl and compacted .parquet files, less the blobs a compacted file holds.
                files.AddRange(await EventSources.LocalFilesAsync(path, cancellationToken).ConfigureAwait(false));
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
            throw new EventLogException("no .jsonl or compacted .parquet files to read");
        }
        return files;
    }

    private static readonly string[] Fields = ["type", "id", "ts", "experiment", "arm", "unit", "intent", "trueIntent", "handlingSeconds", "confidence", "model", "phase", "fallback", "covariate", "latencyMs"];

    /// <summary>
    /// One row per line, one JSON column per field: from JSONL files (lines that are not JSON objects are skipped), and from
    /// compacted files' <c>line</c> column (where a line that is not a JSON object is kept as a malformed row, as the built-in
    /// reader counts it: its <c>type</c> is a number).
    /// </summary>
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
            string structure = Literal("{" + string.Join(", ", Fields.Select(f => $"\"{f}\": \"JSON\"")) + "}");
            parts.Add($"SELECT {string.Join(", ", Fields.Select(f => f == "type" ? "CASE WHEN o THEN j.\"type\" ELSE '0'::JSON END AS \"type\"" : $"j.\"{f}\" AS \"{f}\""))} " +
                $"FROM (SELECT o, CASE WHEN o THEN json_transform({CompactedLog.LineColumn}, {structure}) END AS j " +
                $"FROM (SELECT {CompactedLog.LineColumn}, CASE WHEN json_valid({CompactedLog.LineColumn}) THEN json_type({CompactedLog.LineColumn}) = 'OBJECT' ELSE false END AS o " +
                $"FROM read_parquet([{string.Join(", ", parquet.Select(Literal))}])) lines) parsed");
        }
        return string.Join(" UNION ALL ", parts);
    }

    private static async Task<string> OnlyExperimentAsync(DuckDBConnection connection, CancellationToken ct)
    {
        var names = new List<string>();
        await QueryAsync(connection, "SELECT DISTINCT experiment FROM events WHERE NOT type_error AND t IN ('scored', 'assigned') AND experiment IS NOT NULL ORDER BY 1", r => names.Add(r.GetString(0)), ct).ConfigureAwait(false);
        return names.Count switch
        {
            1 => names[0],
            0 => throw new EventLogException("the log holds no exposures (scored or assigned events)"),
            _ => throw new EventLogException("the log holds several experiments (" + string.Join(", ", names) + "): choose one with --experiment"),
        };
    }

    private static string Microseconds(DateTimeOffset? at) =>
        at is { } t ? ((t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10).ToString(C) : "CAST(NULL AS BIGINT)";

    /// <summary>A result table's rows, read as they are enumerated.</summary>
    private static IEnumerable<IResultRow> Rows(DuckDBConnection connection, string table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM " + table;
        using var reader = command.ExecuteReader();
        var row = new ReaderRow(reader);
        while (reader.Read())
        {
            yield return row;
        }
    }

    /// <summary>The current row of a DuckDB reader, by column name; DuckDB's sums of integers are 128-bit.</summary>
    private sealed class ReaderRow(DbDataReader reader) : IResultRow
    {
        private readonly Dictionary<string, int> _ordinals = Enumerable.Range(0, reader.FieldCount).ToDictionary(reader.GetName, i => i, StringComparer.Ordinal);

        private object? Value(string column) => _ordinals.TryGetValue(column, out int i) && !reader.IsDBNull(i) ? reader.GetValue(i) : null;

        public bool IsNull(string column) => Value(column) is null;

        public long Count(string column) => Value(column) switch
        {
            System.Numerics.BigInteger b => (long)b,
            { } v => Convert.ToInt64(v, C),
            null => throw new InvalidOperationException($"{column} is null"),
        };

        public double Number(string column) => Value(column) switch
        {
            System.Numerics.BigInteger b => (double)b,
            { } v => Convert.ToDouble(v, C),
            null => throw new InvalidOperationException($"{column} is null"),
        };

        public string Text(string column) => (string?)Value(column) ?? throw new InvalidOperationException($"{column} is null");

        public bool Flag(string column) => (bool?)Value(column) ?? throw new InvalidOperationException($"{column} is null");
    }

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
