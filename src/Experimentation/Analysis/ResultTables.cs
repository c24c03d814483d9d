using System.Globalization;
using System.Text.Json;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Statistics;

namespace Verdict.Experimentation.Analysis;

/// <summary>One row of a result table of sql/aggregates.sql, by column name; a missing column reads as null.</summary>
public interface IResultRow
{
    /// <summary>Whether the column is null or absent.</summary>
    bool IsNull(string column);

    /// <summary>The column as an integer (a count, a phase, microseconds).</summary>
    long Count(string column);

    /// <summary>The column as a number.</summary>
    double Number(string column);

    /// <summary>The column as a string.</summary>
    string Text(string column);

    /// <summary>The column as a boolean.</summary>
    bool Flag(string column);
}

/// <summary>
/// The result tables of sql/aggregates.sql (<c>result_log</c>, <c>result_phases</c>, <c>result_arms</c>, …), as the DuckDB
/// engine reads them back or the Spark job writes them out (docs/spark.md), turned into the observations that partial
/// aggregates hold.
/// </summary>
public static class ResultTables
{
    /// <summary>The tables, in the order they are read.</summary>
    public static readonly IReadOnlyList<string> Names =
        ["result_log", "result_phases", "result_models", "result_arms", "result_unit_ratios", "result_values", "result_days", "result_cells", "result_paired", "result_paired_latency"];

    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>Writes the partial aggregates (docs/aggregates.md) of every phase the tables hold.</summary>
    /// <param name="table">The rows of a result table, by name.</param>
    /// <param name="output">Where the partial aggregates go.</param>
    /// <exception cref="EventLogException">The tables hold no result_log row.</exception>
    public static void WriteAggregates(Func<string, IEnumerable<IResultRow>> table, Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        foreach (var observations in ToObservations(table))
        {
            PartialAggregates.Write(observations, output);
        }
    }

    /// <summary>Every phase the tables hold, as observations.</summary>
    internal static List<ExperimentObservations> ToObservations(Func<string, IEnumerable<IResultRow>> table)
    {
        ArgumentNullException.ThrowIfNull(table);
        string? experiment = null;
        EventLogDiagnostics log = new();
        foreach (var r in table("result_log"))
        {
            experiment = r.Text("experiment");
            log = new EventLogDiagnostics
            {
                Sources = (int)r.Count("sources"),
                Lines = r.Count("lines"),
                MalformedLines = r.Count("malformed"),
                UnknownTypes = r.Count("unknown_types"),
                DuplicateExposures = r.Count("duplicate_exposures"),
                DuplicateOutcomes = r.Count("duplicate_outcomes"),
                OrphanOutcomes = r.Count("orphans"),
                OtherExperiments = r.Count("other_experiments"),
                AfterAsOf = r.Count("after_as_of"),
                BeforeSince = r.Count("before_since"),
                FallbacksExcluded = r.Flag("exclude_fallbacks"),
            };
        }
        if (experiment is null)
        {
            throw new EventLogException("result_log: no row; the result tables are incomplete");
        }
        var phases = new SortedDictionary<int, (bool Template, long Fallbacks, long? First, long? Last, long Conflicted, bool Several)>();
        foreach (var r in table("result_phases"))
        {
            phases[(int)r.Count("phase")] = (!r.IsNull("template") && r.Flag("template"), r.Count("fallbacks"),
                r.IsNull("first_us") ? null : r.Count("first_us"), r.IsNull("last_us") ? null : r.Count("last_us"), r.Count("conflicted_units"), r.Flag("several"));
        }
        var arms = new Dictionary<(int Phase, string Arm), ArmObservations>();
        ArmObservations Arm(IResultRow r)
        {
            var key = ((int)r.Count("phase"), r.Text("arm"));
            return arms.TryGetValue(key, out var a) ? a : arms[key] = new ArmObservations(key.Item2);
        }
        foreach (var r in table("result_models"))
        {
            Arm(r).Models.Add(r.Text("model"));
        }
        foreach (var r in table("result_arms"))
        {
            var a = Arm(r);
            a.Exposures = r.Count("exposures");
            a.Units = r.Count("units");
            a.Accuracy = new ProportionSummary(r.Count("labelled"), r.Count("correct"));
            a.Handling = Mean(r, "timed", "handling_mean", "handling_m2");
            a.HandlingLog = Mean(r, "timed", "log_mean", "log_m2");
            a.Replies = new ProportionSummary(r.Count("messages"), r.Count("replied"));
            a.PositiveReplies = new ProportionSummary(r.Count("messages"), r.Count("positive"));
            a.Brier = Mean(r, "brier_n", "brier_mean", "brier_m2");
            a.CupedHandling = r.Count("cuped_n") == 0 ? default : new RatioSummary(r.Count("cuped_n"), r.Number("cuped_mean_x"), r.Number("cuped_mean_y"),
                r.Number("cuped_m2x"), r.Number("cuped_m2y"), r.Number("cuped_cxy"));
        }
        foreach (var r in table("result_unit_ratios"))
        {
            var a = Arm(r);
            var ratio = new RatioSummary(r.Count("n"), r.Number("mean_x"), r.Number("mean_y"), r.Number("m2x"), r.Number("m2y"), r.Number("cxy"));
            switch (r.Text("metric"))
            {
                case "accuracy": a.AccuracyByUnit = ratio; break;
                case "handling": a.HandlingByUnit = ratio; break;
                case "replies": a.RepliesByUnit = ratio; break;
                default: a.PositiveRepliesByUnit = ratio; break;
            }
        }
        // Handling values come in any order from an engine; the analysis reads them ascending, as the built-in reader keeps them.
        var values = table("result_values").Select(r => (Values: r.Flag("unit_means") ? Arm(r).UnitHandlingMeans : Arm(r).HandlingValues, Seconds: r.Number("seconds"), N: (int)r.Count("n"))).ToList();
        foreach (var (list, seconds, n) in values.OrderBy(v => v.Seconds))
        {
            list.AddRange(Enumerable.Repeat(seconds, n));
        }
        var days = new List<(ArmObservations Arm, int Phase, long Day, DayCounts Counts)>();
        foreach (var r in table("result_days"))
        {
            days.Add((Arm(r), (int)r.Count("phase"), r.Count("day_number"), new DayCounts(r.Count("exposures"),
                new ProportionSummary(r.Count("labelled"), r.Count("correct")), new ProportionSummary(r.Count("messages"), r.Count("positive")))));
        }
        var cells = new List<(ArmObservations Arm, string Kind, string? A, string B, long N, double X, long Y)>();
        foreach (var r in table("result_cells"))
        {
            cells.Add((Arm(r), r.Text("kind"), r.IsNull("a") ? null : r.Text("a"), r.Text("b"), r.Count("n"), r.Number("x"), r.Count("y")));
        }

        var paired = new Dictionary<(int Phase, string Served, string Shadow), ShadowTally>();
        ShadowTally Tally(IResultRow r)
        {
            var key = ((int)r.Count("phase"), r.Text("served"), r.Text("shadow"));
            return paired.TryGetValue(key, out var t) ? t : paired[key] = new ShadowTally();
        }
        foreach (var r in table("result_paired"))
        {
            var t = Tally(r);
            t.N = r.Count("n");
            t.Both = r.Count("both_right");
            t.ServedOnly = r.Count("served_only");
            t.ShadowOnly = r.Count("shadow_only");
            t.Shadowed = r.Count("shadowed");
            t.Agreed = r.Count("agreed");
        }
        foreach (var r in table("result_paired_latency"))
        {
            Tally(r).LatencyMicroseconds.AddBin((int)r.Count("bin"), r.Count("n"));
        }

        var intents = cells.Where(c => c.Kind == "confusion").SelectMany(c => new[] { c.A!, c.B }).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var index = intents.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i, StringComparer.Ordinal);
        foreach (var a in arms.Values)
        {
            a.Confusion = new long[intents.Count * intents.Count];
        }
        foreach (var c in cells)
        {
            switch (c.Kind)
            {
                case "confusion": c.Arm.Confusion[(index[c.A!] * intents.Count) + index[c.B]] += c.N; break;
                case "calibration": c.Arm.Calibration[int.Parse(c.B, C)] = new CalibrationBin(c.N, c.X, c.Y); break;
                default: c.Arm.OutcomeDelays.AddBin(int.Parse(c.B, C), c.N); break;
            }
        }
        var result = new List<ExperimentObservations>();
        foreach (var (phase, p) in phases)
        {
            long firstDay = p.First is long f ? (long)Math.Floor(f / 86_400_000_000.0) : 0;
            var phaseArms = arms.Where(a => a.Key.Phase == phase).Select(a => a.Value).ToList();
            foreach (var d in days.Where(d => d.Phase == phase).OrderBy(d => d.Day))
            {
                int offset = (int)(d.Day - firstDay);
                while (d.Arm.Days.Count <= offset)
                {
                    d.Arm.Days.Add(default);
                }
                d.Arm.Days[offset] = d.Counts;
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
                Paired = paired.Where(t => t.Key.Phase == phase).ToDictionary(t => (t.Key.Served, t.Key.Shadow), t => t.Value),
            });
        }
        return result;
    }

    /// <summary>
    /// Reads result tables written as JSON Lines into <paramref name="folder"/>: for each table, the file
    /// <c>NAME.jsonl</c> or <c>NAME.json</c>, or a folder <c>NAME</c> of <c>*.json</c>/<c>*.jsonl</c> part files (what
    /// Spark's <c>DataFrame.write.json</c> writes). A null column may be left out, as Spark leaves it.
    /// </summary>
    /// <exception cref="EventLogException">A table is missing, or a line or value is bad (naming the file and line).</exception>
    public static void WriteAggregatesFromFolder(string folder, Stream output)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder))
        {
            throw new EventLogException($"{folder}: no such folder");
        }
        var tables = new Dictionary<string, List<IResultRow>>(StringComparer.Ordinal);
        foreach (string name in Names)
        {
            var files = new List<string>();
            foreach (string candidate in new[] { name + ".jsonl", name + ".json" })
            {
                if (File.Exists(Path.Combine(folder, candidate)))
                {
                    files.Add(Path.Combine(folder, candidate));
                }
            }
            string sub = Path.Combine(folder, name);
            if (Directory.Exists(sub))
            {
                files.AddRange(Directory.EnumerateFiles(sub).Where(f => f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".jsonl", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
            }
            if (files.Count == 0)
            {
                throw new EventLogException($"{folder}: the result table {name} is missing (expected {name}.jsonl, or a folder {name}/ of part files)");
            }
            var rows = new List<IResultRow>();
            foreach (string file in files)
            {
                int number = 0;
                foreach (string line in File.ReadLines(file))
                {
                    number++;
                    if (string.IsNullOrWhiteSpace(line))
                    {
                        continue;
                    }
                    try
                    {
                        using var doc = JsonDocument.Parse(line);
                        if (doc.RootElement.ValueKind != JsonValueKind.Object)
                        {
                            throw new EventLogException($"{file}:{number}: not a JSON object");
                        }
                        rows.Add(new JsonRow(doc.RootElement.Clone(), file, number));
                    }
                    catch (JsonException ex)
                    {
                        throw new EventLogException($"{file}:{number}: not JSON ({ex.Message})");
                    }
                }
            }
            tables[name] = rows;
        }
        WriteAggregates(name => tables[name], output);
    }

    private static MeanSummary Mean(IResultRow r, string count, string mean, string m2) =>
        r.Count(count) == 0 ? default : new MeanSummary(r.Count(count), r.Number(mean), r.Number(m2));

    /// <summary>A row of a JSON Lines table; a wrong or missing value names the file, line and column.</summary>
    private sealed class JsonRow(JsonElement row, string file, int line) : IResultRow
    {
        private JsonElement Get(string column) =>
            row.TryGetProperty(column, out var v) && v.ValueKind != JsonValueKind.Null ? v : throw Error(column, "is missing");

        private EventLogException Error(string column, string what) => new($"{file}:{line}: {column} {what}");

        public bool IsNull(string column) => !row.TryGetProperty(column, out var v) || v.ValueKind == JsonValueKind.Null;

        public long Count(string column)
        {
            var v = Get(column);
            return v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long x) ? x : throw Error(column, "must be an integer");
        }

        public double Number(string column)
        {
            var v = Get(column);
            return v.ValueKind switch
            {
                JsonValueKind.Number => v.GetDouble(),
                // Spark writes non-finite doubles as strings.
                JsonValueKind.String when double.TryParse(v.GetString(), NumberStyles.Float, C, out double x) => x,
                _ => throw Error(column, "must be a number"),
            };
        }

        public string Text(string column)
        {
            var v = Get(column);
            return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Error(column, "must be a string");
        }

        public bool Flag(string column)
        {
            var v = Get(column);
            return v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw Error(column, "must be true or false");
        }
    }
}
