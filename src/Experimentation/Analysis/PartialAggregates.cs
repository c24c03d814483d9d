using System.Globalization;
using System.Text;
using System.Text.Json;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Statistics;

namespace Verdict.Experimentation.Analysis;

/// <summary>
/// Partial aggregates (docs/aggregates.md, format <c>verdict-aggregates</c> version 1): per experiment, phase and arm,
/// the mergeable sufficient statistics every test and verdict needs, as JSON Lines. <c>verdict aggregate</c> writes
/// them from a log; <c>verdict analyze --aggregates</c> merges any number of them and analyses the sum, giving what
/// analysing the log gives. Partials add exactly when they hold disjoint units (a log split by unit, or by time when
/// every unit has one exposure); unit-level statistics of a unit split across partials are not exact, and the
/// analysis then warns.
/// </summary>
public static class PartialAggregates
{
    /// <summary>The format's name, on every line.</summary>
    public const string Format = "verdict-aggregates";

    /// <summary>The format's version; a reader refuses a newer one.</summary>
    public const int Version = 1;

    /// <summary>Reads the log of <paramref name="request"/> and writes its experiment's partial aggregates, every phase it holds, to <paramref name="output"/>.</summary>
    /// <exception cref="EventLogException">A path is missing, or the experiment is ambiguous or absent.</exception>
    public static async Task WriteAsync(AnalysisRequest request, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(output);
        var reader = await ExperimentAnalysis.ReadAsync(request, cancellationToken).ConfigureAwait(false);
        var phases = reader.PhasesOf().Order().ToList();
        using var buffer = new MemoryStream();
        foreach (var phase in phases)
        {
            Write(reader.Complete(phase, partial: true), buffer);
        }
        buffer.Position = 0;
        await buffer.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
    }

    internal static void Write(ExperimentObservations obs, Stream output)
    {
        var options = new JsonWriterOptions { Indented = false };
        void Line(Action<Utf8JsonWriter> body)
        {
            using (var w = new Utf8JsonWriter(output, options))
            {
                w.WriteStartObject();
                w.WriteString("format", Format);
                w.WriteNumber("version", Version);
                w.WriteString("experiment", obs.Experiment);
                w.WriteString("phase", PhaseText(obs.Phase));
                body(w);
                w.WriteEndObject();
            }
            output.WriteByte((byte)'\n');
        }
        long firstDay = obs.FirstExposure is { } f ? f.UtcTicks - (f.UtcTicks % TimeSpan.TicksPerDay) : 0;
        Line(w =>
        {
            w.WriteString("record", "phase");
            w.WriteString("kind", obs.IsTemplate ? "template" : "model");
            w.WriteBoolean("severalExposuresPerUnit", obs.SeveralExposuresPerUnit);
            if (obs.FirstExposure is { } first)
            {
                w.WriteString("firstExposure", first.UtcDateTime);
            }
            if (obs.LastExposure is { } last)
            {
                w.WriteString("lastExposure", last.UtcDateTime);
            }
            w.WriteStartArray("intents");
            foreach (string intent in obs.Intents)
            {
                w.WriteStringValue(intent);
            }
            w.WriteEndArray();
            w.WritePropertyName("log");
            JsonSerializer.Serialize(w, obs.Diagnostics, DiagnosticsJson);
            w.WriteStartArray("paired");
            foreach (var ((served, shadow), t) in obs.Paired)
            {
                w.WriteStartObject();
                w.WriteString("served", served);
                w.WriteString("shadow", shadow);
                w.WriteStartArray("counts");
                foreach (long v in new[] { t.N, t.Both, t.ServedOnly, t.ShadowOnly, t.Shadowed, t.Agreed })
                {
                    w.WriteNumberValue(v);
                }
                w.WriteEndArray();
                Bins(w, "latencyMicroseconds", t.LatencyMicroseconds);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
        foreach (var arm in obs.Arms)
        {
            Line(w =>
            {
                w.WriteString("record", "arm");
                w.WriteString("arm", arm.Name);
                w.WriteNumber("exposures", arm.Exposures);
                w.WriteNumber("units", arm.Units);
                w.WriteStartArray("models");
                foreach (string model in arm.Models)
                {
                    w.WriteStringValue(model);
                }
                w.WriteEndArray();
                Proportion(w, "accuracy", arm.Accuracy);
                Ratio(w, "accuracyByUnit", arm.AccuracyByUnit);
                Mean(w, "handling", arm.Handling);
                Mean(w, "handlingLog", arm.HandlingLog);
                Ratio(w, "handlingByUnit", arm.HandlingByUnit);
                Proportion(w, "replies", arm.Replies);
                Proportion(w, "positiveReplies", arm.PositiveReplies);
                Ratio(w, "repliesByUnit", arm.RepliesByUnit);
                Ratio(w, "positiveRepliesByUnit", arm.PositiveRepliesByUnit);
                Mean(w, "brier", arm.Brier);
                Ratio(w, "cupedHandling", arm.CupedHandling);
                // Handling times as a histogram of exact values: with times rounded as CRMs log them, a few thousand entries.
                Values(w, "handlingValues", arm.HandlingValues);
                Values(w, "unitHandlingMeans", arm.UnitHandlingMeans);
                w.WriteStartArray("days");
                for (int d = 0; d < arm.Days.Count; d++)
                {
                    var day = arm.Days[d];
                    if (day.Exposures == 0)
                    {
                        continue;
                    }
                    w.WriteStartArray();
                    w.WriteStringValue(new DateTime(firstDay + (d * TimeSpan.TicksPerDay), DateTimeKind.Utc).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                    w.WriteNumberValue(day.Exposures);
                    w.WriteNumberValue(day.Accuracy.Count);
                    w.WriteNumberValue(day.Accuracy.Successes);
                    w.WriteNumberValue(day.PositiveReplies.Count);
                    w.WriteNumberValue(day.PositiveReplies.Successes);
                    w.WriteEndArray();
                }
                w.WriteEndArray();
                w.WriteStartArray("confusion");
                int k = obs.Intents.Count;
                for (int i = 0; i < arm.Confusion.Length; i++)
                {
                    if (arm.Confusion[i] > 0)
                    {
                        w.WriteStartArray();
                        w.WriteStringValue(obs.Intents[i / k]);
                        w.WriteStringValue(obs.Intents[i % k]);
                        w.WriteNumberValue(arm.Confusion[i]);
                        w.WriteEndArray();
                    }
                }
                w.WriteEndArray();
                w.WriteStartArray("calibration");
                foreach (var bin in arm.Calibration)
                {
                    w.WriteStartArray();
                    w.WriteNumberValue(bin.Count);
                    w.WriteNumberValue(bin.ConfidenceSum);
                    w.WriteNumberValue(bin.Correct);
                    w.WriteEndArray();
                }
                w.WriteEndArray();
                Bins(w, "outcomeDelays", arm.OutcomeDelays);
            });
        }
    }

    private static readonly JsonSerializerOptions DiagnosticsJson = new(JsonSerializerDefaults.Web);

    /// <summary>As many malformed-line examples as one log's diagnostics keep.</summary>
    private const int MaxMalformedExamples = 20;

    /// <summary>Values as a histogram of exact values, [[value, count], ...] in ascending order.</summary>
    private static void Values(Utf8JsonWriter w, string name, List<double> values)
    {
        w.WriteStartArray(name);
        foreach (var group in values.GroupBy(v => v).OrderBy(g => g.Key))
        {
            w.WriteStartArray();
            w.WriteNumberValue(group.Key);
            w.WriteNumberValue(group.LongCount());
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }

    private static void Bins(Utf8JsonWriter w, string name, DelayHistogram histogram)
    {
        w.WriteStartArray(name);
        foreach (var (bin, count) in histogram.Bins())
        {
            w.WriteStartArray();
            w.WriteNumberValue(bin);
            w.WriteNumberValue(count);
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }

    private static void Proportion(Utf8JsonWriter w, string name, ProportionSummary s)
    {
        w.WriteStartArray(name);
        w.WriteNumberValue(s.Count);
        w.WriteNumberValue(s.Successes);
        w.WriteEndArray();
    }

    private static void Mean(Utf8JsonWriter w, string name, MeanSummary s)
    {
        w.WriteStartArray(name);
        w.WriteNumberValue(s.Count);
        w.WriteNumberValue(s.Mean);
        w.WriteNumberValue(s.M2);
        w.WriteEndArray();
    }

    private static void Ratio(Utf8JsonWriter w, string name, RatioSummary s)
    {
        w.WriteStartArray(name);
        w.WriteNumberValue(s.Units);
        w.WriteNumberValue(s.MeanX);
        w.WriteNumberValue(s.MeanY);
        w.WriteNumberValue(s.M2X);
        w.WriteNumberValue(s.M2Y);
        w.WriteNumberValue(s.CXY);
        w.WriteEndArray();
    }

    private static string PhaseText(EventPhase phase) => phase switch { EventPhase.AA => "aa", EventPhase.AB => "ab", _ => "unspecified" };

    /// <summary>Merges the partial aggregates in <paramref name="paths"/> and analyses them as <see cref="ExperimentAnalysis.RunAsync"/> would the log they came from.</summary>
    /// <exception cref="EventLogException">A file is missing or a line is not a valid partial aggregate (naming the file and line), or the experiment is ambiguous or absent.</exception>
    public static Task<AnalysisResult> AnalyzeAsync(IReadOnlyList<string> paths, AnalysisRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(request);
        foreach (string path in paths)
        {
            if (!File.Exists(path))
            {
                throw new EventLogException($"{path}: no such aggregates file");
            }
        }
        return AnalyzeAsync(paths.Select(path => (path, (Func<TextReader>)(() => new StreamReader(path, Encoding.UTF8)))), request, cancellationToken);
    }

    /// <summary>Merges the partial aggregates of each input (its name in messages, and how to open it) and analyses the sum.</summary>
    internal static async Task<AnalysisResult> AnalyzeAsync(IEnumerable<(string Name, Func<TextReader> Open)> inputs, AnalysisRequest request, CancellationToken cancellationToken)
    {
        var merged = new Dictionary<(string Experiment, EventPhase Phase), MergedPhase>();
        foreach (var (path, open) in inputs)
        {
            int number = 0;
            using var file = open();
            while (await file.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                number++;
                if (line.Length == 0)
                {
                    continue;
                }
                try
                {
                    using var doc = JsonDocument.Parse(line);
                    Merge(doc.RootElement, merged);
                }
                catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or FormatException or ArgumentException)
                {
                    throw new EventLogException($"{path}:{number}: not a partial aggregate: {ex.Message}");
                }
            }
        }
        var experiments = merged.Keys.Select(k => k.Experiment).Distinct(StringComparer.Ordinal).ToList();
        string experiment = request.Experiment
            ?? (experiments.Count == 1 ? experiments[0]
            : experiments.Count == 0 ? throw new EventLogException("the aggregates hold no experiment")
            : throw new EventLogException("the aggregates hold several experiments (" + string.Join(", ", experiments) + "): choose one with --experiment"));
        var present = merged.Keys.Where(k => k.Experiment == experiment).Select(k => k.Phase).ToHashSet();
        if (present.Count == 0)
        {
            throw new EventLogException($"the aggregates hold no experiment '{experiment}'");
        }
        var chosen = request.Phase ?? (present.Contains(EventPhase.AB) ? EventPhase.AB : present.Contains(EventPhase.AA) && !present.Contains(EventPhase.Unspecified) ? EventPhase.AA : EventPhase.Unspecified);
        var observations = merged.TryGetValue((experiment, chosen), out var m) ? m.Complete(experiment, chosen) : MergedPhase.Empty(experiment, chosen);
        ExperimentObservations? aa = chosen == EventPhase.AB && merged.TryGetValue((experiment, EventPhase.AA), out var aaPhase) ? aaPhase.Complete(experiment, EventPhase.AA) : null;
        return ExperimentAnalyzer.Analyze(observations, request, aa);
    }

    private static void Merge(JsonElement e, Dictionary<(string, EventPhase), MergedPhase> merged)
    {
        if (e.GetProperty("format").GetString() != Format)
        {
            throw new FormatException($"format is not '{Format}'");
        }
        int version = e.GetProperty("version").GetInt32();
        if (version is < 1 or > Version)
        {
            throw new FormatException($"version {version} is not supported (this reader reads 1 to {Version})");
        }
        string experiment = e.GetProperty("experiment").GetString() ?? throw new FormatException("experiment is missing");
        var phase = e.GetProperty("phase").GetString() switch
        {
            "aa" => EventPhase.AA,
            "ab" => EventPhase.AB,
            "unspecified" => EventPhase.Unspecified,
            var other => throw new FormatException($"phase '{other}' is not aa, ab or unspecified"),
        };
        if (!merged.TryGetValue((experiment, phase), out var m))
        {
            merged[(experiment, phase)] = m = new MergedPhase();
        }
        switch (e.GetProperty("record").GetString())
        {
            case "phase": m.AddPhase(e); break;
            case "arm": m.AddArm(e); break;
            case var other: throw new FormatException($"record '{other}' is not phase or arm");
        }
    }

    /// <summary>The partials of one experiment and phase, added as they are read.</summary>
    private sealed class MergedPhase
    {
        private readonly Dictionary<string, ArmObservations> _arms = new(StringComparer.Ordinal);
        private readonly Dictionary<string, SortedDictionary<DateOnly, DayCounts>> _days = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Dictionary<(string True, string Predicted), long>> _confusion = new(StringComparer.Ordinal);
        private readonly List<string> _intents = [];
        // Each arm's handling values (emails', or units' means) as value → count, expanded once, in order, at the end.
        private readonly Dictionary<(string Arm, bool UnitMeans), Dictionary<double, long>> _values = [];
        private readonly Dictionary<(string, string), ShadowTally> _paired = [];
        private EventLogDiagnostics? _log;
        private bool _template, _several;
        private DateTimeOffset? _first, _last;

        public static ExperimentObservations Empty(string experiment, EventPhase phase) => new MergedPhase().Complete(experiment, phase);

        public void AddPhase(JsonElement e)
        {
            _template |= e.GetProperty("kind").GetString() == "template";
            _several |= e.GetProperty("severalExposuresPerUnit").GetBoolean();
            DateTimeOffset? first = e.TryGetProperty("firstExposure", out var f) ? f.GetDateTimeOffset() : null;
            DateTimeOffset? last = e.TryGetProperty("lastExposure", out var l) ? l.GetDateTimeOffset() : null;
            _first = first is null ? _first : _first is null || first < _first ? first : _first;
            _last = last is null ? _last : _last is null || last > _last ? last : _last;
            foreach (var intent in e.GetProperty("intents").EnumerateArray())
            {
                Intent(intent.GetString()!);
            }
            var log = e.GetProperty("log").Deserialize<EventLogDiagnostics>(DiagnosticsJson) ?? throw new FormatException("log is null");
            _log = _log is null ? log : _log with
            {
                Sources = _log.Sources + log.Sources,
                Lines = _log.Lines + log.Lines,
                MalformedLines = _log.MalformedLines + log.MalformedLines,
                MalformedExamples = [.. _log.MalformedExamples.Concat(log.MalformedExamples).Take(MaxMalformedExamples)],
                UnknownTypes = _log.UnknownTypes + log.UnknownTypes,
                DuplicateExposures = _log.DuplicateExposures + log.DuplicateExposures,
                DuplicateOutcomes = _log.DuplicateOutcomes + log.DuplicateOutcomes,
                OrphanOutcomes = _log.OrphanOutcomes + log.OrphanOutcomes,
                OtherExperiments = _log.OtherExperiments + log.OtherExperiments,
                AfterAsOf = _log.AfterAsOf + log.AfterAsOf,
                BeforeSince = _log.BeforeSince + log.BeforeSince,
                UnitsInSeveralArms = _log.UnitsInSeveralArms + log.UnitsInSeveralArms,
                FallbackExposures = _log.FallbackExposures + log.FallbackExposures,
                FallbacksExcluded = _log.FallbacksExcluded || log.FallbacksExcluded,
            };
            foreach (var p in e.GetProperty("paired").EnumerateArray())
            {
                var key = (p.GetProperty("served").GetString()!, p.GetProperty("shadow").GetString()!);
                if (!_paired.TryGetValue(key, out var t))
                {
                    _paired[key] = t = new ShadowTally();
                }
                var c = p.GetProperty("counts");
                t.N += c[0].GetInt64();
                t.Both += c[1].GetInt64();
                t.ServedOnly += c[2].GetInt64();
                t.ShadowOnly += c[3].GetInt64();
                t.Shadowed += c[4].GetInt64();
                t.Agreed += c[5].GetInt64();
                AddBins(t.LatencyMicroseconds, p.GetProperty("latencyMicroseconds"));
            }
        }

        public void AddArm(JsonElement e)
        {
            string name = e.GetProperty("arm").GetString() ?? throw new FormatException("arm is missing");
            if (!_arms.TryGetValue(name, out var arm))
            {
                _arms[name] = arm = new ArmObservations(name);
                _days[name] = [];
                _confusion[name] = [];
            }
            arm.Exposures += e.GetProperty("exposures").GetInt64();
            arm.Units += e.GetProperty("units").GetInt64();
            foreach (var model in e.GetProperty("models").EnumerateArray())
            {
                arm.Models.Add(model.GetString()!);
            }
            arm.Accuracy += Proportion(e, "accuracy");
            arm.AccuracyByUnit += Ratio(e, "accuracyByUnit");
            arm.Handling += Mean(e, "handling");
            arm.HandlingLog += Mean(e, "handlingLog");
            arm.HandlingByUnit += Ratio(e, "handlingByUnit");
            arm.Replies += Proportion(e, "replies");
            arm.PositiveReplies += Proportion(e, "positiveReplies");
            arm.RepliesByUnit += Ratio(e, "repliesByUnit");
            arm.PositiveRepliesByUnit += Ratio(e, "positiveRepliesByUnit");
            arm.Brier += Mean(e, "brier");
            arm.CupedHandling += Ratio(e, "cupedHandling");
            AddValues(_values, (name, false), e.GetProperty("handlingValues"));
            AddValues(_values, (name, true), e.GetProperty("unitHandlingMeans"));
            var days = _days[name];
            foreach (var d in e.GetProperty("days").EnumerateArray())
            {
                var date = DateOnly.ParseExact(d[0].GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture);
                var add = new DayCounts(d[1].GetInt64(), new ProportionSummary(d[2].GetInt64(), d[3].GetInt64()), new ProportionSummary(d[4].GetInt64(), d[5].GetInt64()));
                days[date] = days.TryGetValue(date, out var had) ? new DayCounts(had.Exposures + add.Exposures, had.Accuracy + add.Accuracy, had.PositiveReplies + add.PositiveReplies) : add;
            }
            var confusion = _confusion[name];
            foreach (var c in e.GetProperty("confusion").EnumerateArray())
            {
                var key = (Intent(c[0].GetString()!), Intent(c[1].GetString()!));
                confusion[key] = confusion.GetValueOrDefault(key) + c[2].GetInt64();
            }
            var bins = e.GetProperty("calibration");
            if (bins.GetArrayLength() != CalibrationBin.Bins)
            {
                throw new FormatException($"calibration must have {CalibrationBin.Bins} bins");
            }
            for (int b = 0; b < CalibrationBin.Bins; b++)
            {
                var bin = bins[b];
                var had = arm.Calibration[b];
                arm.Calibration[b] = new CalibrationBin(had.Count + bin[0].GetInt64(), had.ConfidenceSum + bin[1].GetDouble(), had.Correct + bin[2].GetInt64());
            }
            AddBins(arm.OutcomeDelays, e.GetProperty("outcomeDelays"));
        }

        public ExperimentObservations Complete(string experiment, EventPhase phase)
        {
            var firstDay = _first is { } f ? DateOnly.FromDateTime(f.UtcDateTime) : (DateOnly?)null;
            var index = _intents.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i, StringComparer.Ordinal);
            foreach (var (name, arm) in _arms)
            {
                // What the log's own analysis reads: unit-level sums when some unit has several exposures, every handling
                // time when none has. A part keeps both, since only the whole tells which.
                if (!_several)
                {
                    arm.AccuracyByUnit = arm.HandlingByUnit = arm.RepliesByUnit = arm.PositiveRepliesByUnit = default;
                }
                if (_values.TryGetValue((name, _several), out var histogram))
                {
                    arm.HandlingValues.EnsureCapacity((int)histogram.Values.Sum());
                    foreach (var (value, count) in histogram.OrderBy(v => v.Key))
                    {
                        arm.HandlingValues.AddRange(Enumerable.Repeat(value, (int)count));
                    }
                }
                arm.Confusion = new long[_intents.Count * _intents.Count];
                foreach (var ((truth, predicted), count) in _confusion[name])
                {
                    arm.Confusion[(index[truth] * _intents.Count) + index[predicted]] += count;
                }
                foreach (var (date, counts) in _days[name])
                {
                    int d = date.DayNumber - firstDay!.Value.DayNumber;
                    while (arm.Days.Count <= d)
                    {
                        arm.Days.Add(default);
                    }
                    arm.Days[d] = counts;
                }
            }
            return new ExperimentObservations
            {
                Experiment = experiment,
                IsTemplate = _template,
                Phase = phase,
                SeveralExposuresPerUnit = _several,
                Intents = [.. _intents],
                Paired = _paired,
                Arms = [.. _arms.Values.Where(o => o.Exposures > 0 || o.Units > 0).OrderBy(o => o.Name, StringComparer.Ordinal)],
                FirstExposure = _first,
                LastExposure = _last,
                Diagnostics = _log ?? new EventLogDiagnostics(),
            };
        }

        private string Intent(string intent)
        {
            if (!_intents.Contains(intent))
            {
                _intents.Add(intent);
            }
            return intent;
        }

        private static void AddValues(Dictionary<(string, bool), Dictionary<double, long>> all, (string, bool) key, JsonElement histogram)
        {
            if (!all.TryGetValue(key, out var values))
            {
                all[key] = values = [];
            }
            foreach (var v in histogram.EnumerateArray())
            {
                double value = v[0].GetDouble();
                long count = v[1].GetInt64();
                if (count < 0)
                {
                    throw new FormatException($"a value's count {count} is negative");
                }
                values[value] = values.GetValueOrDefault(value) + count;
            }
        }

        private static void AddBins(DelayHistogram histogram, JsonElement bins)
        {
            foreach (var b in bins.EnumerateArray())
            {
                if (!histogram.AddBin(b[0].GetInt32(), b[1].GetInt64()))
                {
                    throw new FormatException($"histogram bin {b[0].GetInt32()} or its count is out of range");
                }
            }
        }

        private static ProportionSummary Proportion(JsonElement e, string name)
        {
            var a = e.GetProperty(name);
            return new ProportionSummary(a[0].GetInt64(), a[1].GetInt64());
        }

        private static MeanSummary Mean(JsonElement e, string name)
        {
            var a = e.GetProperty(name);
            return new MeanSummary(a[0].GetInt64(), a[1].GetDouble(), a[2].GetDouble());
        }

        private static RatioSummary Ratio(JsonElement e, string name)
        {
            var a = e.GetProperty(name);
            return new RatioSummary(a[0].GetInt64(), a[1].GetDouble(), a[2].GetDouble(), a[3].GetDouble(), a[4].GetDouble(), a[5].GetDouble());
        }
    }
}
