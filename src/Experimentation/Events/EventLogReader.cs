using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;

namespace Verdict.Experimentation.Events;

/// <summary>
/// Streams Contract 1 event logs (JSON Lines) into a join by event id, then aggregates per unit and arm.
/// </summary>
/// <remarks>
/// Per-event state is one 56-byte record keyed by a 128-bit XxHash of the id (a collision among 10^9 ids
/// has probability below 10^-20), found through a <see cref="KeyIndex"/>; units are interned the same way.
/// Arms, intents, models and experiments are interned to small indexes. Nothing per event is a string:
/// a record and its index entry take about 66 bytes (peak memory of a whole analysis: docs/benchmarks.md). Outcomes may come before their exposure (logs
/// are partitioned by writer and hour, not ordered): the join is completed when every source has been read.
/// <para>
/// Reading is a two-stage pipeline. The calling thread splits lines, parses, validates, hashes and interns
/// them into compact <see cref="ParsedEvent"/> batches; a thread of its own applies the batches, in order, to
/// the join while some are waiting, across sources (the end of one file does not drain the pipeline). Everything
/// the parser owns (interning, malformed-line counts) is touched by the calling thread only; everything the join
/// owns (records, the indexes, duplicate counts) by the joining thread only, and read back after waiting for it.
/// </para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The disposable fields, SemaphoreSlims, hold no handle unless their AvailableWaitHandle is asked for, which it never is.")]
internal sealed class EventLogReader
{
    private const int MaxMalformedExamples = 20;
    private const int BatchSize = 16384, BatchesInFlight = 4, JoinIdleMilliseconds = 250;
    // An exposure and its outcome take about 330 bytes of log; a log of exposures alone, about 220.
    private const int BytesPerId = 300;
    private const byte HasExposure = 1, HasOutcome = 2, HasLabel = 4, HasHandling = 8, HasReply = 16, HasPositiveReply = 32, IsTemplate = 64, IsFallback = 128;

    private readonly string? _experiment;
    private readonly byte[]? _experimentUtf8;
    private readonly long _asOfTicks;
    private readonly long _sinceTicks;
    private readonly bool _strict;
    private readonly bool _excludeFallbacks;
    private readonly HashSet<string> _positiveIntents;

    private readonly ChunkedList<Record> _records = new();
    private readonly ChunkedList<UInt128> _unitKeys = new();
    private readonly KeyIndex _ids = new();
    private readonly KeyIndex _units = new();

    private readonly InternTable _arms = new();
    private readonly InternTable _intents = new();
    private readonly InternTable _models = new();
    private readonly InternTable _experiments = new();
    private readonly List<bool> _positive = [];
    // Per experiment index: bit p set when an exposure of phase p was read.
    private readonly List<byte> _phasesSeen = [];
    private readonly List<string> _malformedExamples = [];
    private byte[] _scratch = new byte[256];
    // The join pipeline: batches parsed and waiting (in order), batches free to fill, and how many are free.
    private readonly ConcurrentQueue<Batch> _full = new();
    private readonly ConcurrentStack<Batch> _free = new();
    private readonly SemaphoreSlim _freeBatches = new(BatchesInFlight);
    private readonly SemaphoreSlim _queued = new(0);
    private int _joining;
    private System.Runtime.ExceptionServices.ExceptionDispatchInfo? _joinFailure;

    private int _sources;
    // Parser-side counts.
    private long _lines, _malformed, _unknownTypes, _otherExperiments, _afterAsOf, _beforeSince;
    // Join-side counts.
    private long _duplicateExposures, _duplicateOutcomes;

    public EventLogReader(string? experiment, DateTimeOffset? asOf, bool strict, IEnumerable<string>? positiveIntents = null, DateTimeOffset? since = null, bool excludeFallbacks = false)
    {
        _excludeFallbacks = excludeFallbacks;
        _sinceTicks = since?.UtcTicks ?? long.MinValue;
        _experiment = experiment;
        _experimentUtf8 = experiment is null ? null : Encoding.UTF8.GetBytes(experiment);
        _asOfTicks = asOf?.UtcTicks ?? long.MaxValue;
        _strict = strict;
        _positiveIntents = new HashSet<string>(positiveIntents ?? ["positive"], StringComparer.Ordinal);
    }

    private struct Record
    {
        public UInt128 Id;
        public long ExposureTicks;
        public long OutcomeTicks;
        public double Handling;
        public int Unit;
        /// <summary>The exposure's confidence; NaN when it did not say.</summary>
        public double Confidence;
        public short Arm;
        public short Experiment;
        public short Intent;
        public short TrueIntent;
        public short Model;
        public byte Flags;
        public byte Phase;
    }

    /// <summary>One valid line, parsed: everything the join needs and nothing it does not.</summary>
    private struct ParsedEvent
    {
        public UInt128 Id;
        /// <summary>The unit's hash, or the id's when the event names no unit.</summary>
        public UInt128 Unit;
        public long Ticks;
        public double Handling;
        public double Confidence;
        public short Arm;
        public short Experiment;
        public short Intent;
        public short TrueIntent;
        public short Model;
        public EventType Type;
        public byte Phase;
        public byte Flags;
    }

    private sealed class Batch
    {
        public readonly ParsedEvent[] Events = new ParsedEvent[BatchSize];
        public int Count;
    }

    private enum EventType : byte
    {
        Missing,
        Unknown,
        Scored,
        Outcome,
        Assigned,
        Reply,
    }

    /// <summary>
    /// Sizes the join for about <paramref name="bytes"/> of log before reading it, so its indexes are not
    /// grown and re-hashed along the way (an estimate: a wrong one costs a growth or some memory, never a result).
    /// </summary>
    public void Reserve(long bytes)
    {
        WaitForJoin();
        int ids = (int)Math.Clamp(bytes / BytesPerId, 0, KeyIndex.MaxKeys);
        _ids.Reserve(ids);
        _units.Reserve(ids);
    }

    /// <summary>
    /// Parses one source on the calling thread and hands its events to the join, which runs on a pool thread
    /// while there are events to apply. The join is not waited for here, so the next source is parsed while
    /// this one's last events are joined; <see cref="Complete"/> and the other readers of the join wait for it.
    /// </summary>
    public void Read(Stream stream, string sourceName)
    {
        _sources++;
        Batch? current = null;
        try
        {
            current = TakeFreeBatch();
            JsonLines.Read(stream, (line, number) =>
            {
                if (ReadLine(line, sourceName, number, ref current.Events[current.Count]) && ++current.Count == BatchSize)
                {
                    Submit(current);
                    // Not the join's batch any more, should taking the next one fail.
                    current = null;
                    current = TakeFreeBatch();
                }
            });
        }
        finally
        {
            // The last, partial batch; or, when parsing failed, the events parsed so far of a reader that is
            // being abandoned: joined either way, so that the batch comes back.
            if (current is { Count: > 0 })
            {
                Submit(current);
            }
            else if (current is not null)
            {
                _free.Push(current);
                _freeBatches.Release();
            }
        }
    }

    private Batch TakeFreeBatch()
    {
        _freeBatches.Wait();
        _joinFailure?.Throw();
        var batch = _free.TryPop(out var reused) ? reused : new Batch();
        batch.Count = 0;
        return batch;
    }

    private void Submit(Batch batch)
    {
        _full.Enqueue(batch);
        _queued.Release();
        if (Interlocked.CompareExchange(ref _joining, 1, 0) == 0)
        {
            // A thread of its own (not the pool's, which a caller blocked in Read may be starving), started
            // when batches wait and none runs; it ends after a while without work, so an abandoned reader
            // leaves no thread behind.
            _ = Task.Factory.StartNew(Join, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
    }

    /// <summary>Applies queued batches in order; at most one runs at a time.</summary>
    private void Join()
    {
        try
        {
            while (true)
            {
                if (!_queued.Wait(JoinIdleMilliseconds))
                {
                    Volatile.Write(ref _joining, 0);
                    // A batch queued after the wait gave up but before the flag was cleared started no join: take it.
                    if (_queued.CurrentCount == 0 || Interlocked.CompareExchange(ref _joining, 1, 0) != 0)
                    {
                        return;
                    }
                    continue;
                }
                _full.TryDequeue(out var batch);
                Apply(batch!);
                _free.Push(batch!);
                _freeBatches.Release();
            }
        }
        catch (Exception ex)
        {
            _joinFailure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex);
            // Wake the parser and any waiting reader of the join: they rethrow the failure.
            _freeBatches.Release(BatchesInFlight);
        }
    }

    /// <summary>Waits until every batch handed to the join has been applied; rethrows a failure of the join.</summary>
    private void WaitForJoin()
    {
        for (int i = 0; i < BatchesInFlight; i++)
        {
            _freeBatches.Wait();
        }
        _freeBatches.Release(BatchesInFlight);
        _joinFailure?.Throw();
    }

    /// <summary>Parses one line into <paramref name="parsed"/>; true when it is an event for the join.</summary>
    private bool ReadLine(ReadOnlySpan<byte> line, string source, long number, ref ParsedEvent parsed)
    {
        if (line.IsEmpty || line.Trim(" \t"u8).IsEmpty)
        {
            return false;
        }
        _lines++;
        string? error;
        bool accepted = false;
        try
        {
            error = Parse(line, ref parsed, ref accepted);
        }
        catch (JsonException ex)
        {
            error = "not valid JSON (" + FirstSentence(ex.Message) + ")";
        }
        if (error is null)
        {
            return accepted;
        }
        string where = $"{source}:{number}: {error}";
        if (_strict)
        {
            throw new EventLogException(where);
        }
        _malformed++;
        if (_malformedExamples.Count < MaxMalformedExamples)
        {
            _malformedExamples.Add(where);
        }
        return false;
    }

    private static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.');
    }

    /// <summary>The members of one line that the join needs, as read by either parser.</summary>
    private ref struct LineFields
    {
        public EventType Type;
        public ReadOnlySpan<byte> Id, Experiment, Arm, Unit, Intent, TrueIntent, Model;
        public bool HasId, HasTs, HasTrueIntent, HasHandling, HasExperiment, HasArm, HasUnit, HasIntent, HasModel, HasConfidence, Fallback;
        public long Ts;
        public double Handling;
        public double Confidence;
        public byte Phase;
    }

    /// <summary>
    /// Parses one line; returns an error naming the field, or null. <paramref name="accepted"/> tells whether
    /// <paramref name="e"/> now holds an event for the join (not one counted and left out).
    /// </summary>
    /// <remarks>
    /// The common line (flat, ASCII, no escapes) is read by <see cref="FlatJsonScanner"/>; any other line, valid
    /// or not, by <c>Utf8JsonReader</c> from its start. Both hand each member to <see cref="Member"/>, so a
    /// line gets the same fields, or the same error, either way.
    /// </remarks>
    private string? Parse(ReadOnlySpan<byte> line, ref ParsedEvent e, ref bool accepted)
    {
        var f = default(LineFields);
        var scanner = new FlatJsonScanner(line);
        while (true)
        {
            var step = scanner.Next(out var name, out var kind, out var value);
            if (step == ScanStep.Member)
            {
                if (Member(FieldOf(name), kind, value, ref f) is { } error)
                {
                    return error;
                }
                continue;
            }
            if (step == ScanStep.Unsupported)
            {
                f = default;
                if (ParseWithReader(line, ref f) is { } error)
                {
                    return error;
                }
            }
            break;
        }
        return Accept(ref f, ref e, ref accepted);
    }

    /// <summary>Reads a line the fast scanner does not take (escapes, nesting, non-ASCII, or not valid JSON).</summary>
    private string? ParseWithReader(ReadOnlySpan<byte> line, ref LineFields f)
    {
        var reader = new Utf8JsonReader(line, isFinalBlock: true, state: default);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return "not a JSON object";
        }
        // Unescaped values share one scratch buffer, each taking its own slice.
        int scratchUsed = 0;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                // Anything after the object but whitespace makes the reader throw: the line is not one JSON value.
                reader.Read();
                return null;
            }
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                return "not a flat JSON object";
            }
            int field = FieldOf(ref reader);
            reader.Read();
            var kind = reader.TokenType switch
            {
                JsonTokenType.String => MemberKind.String,
                JsonTokenType.Number => MemberKind.Number,
                JsonTokenType.True => MemberKind.True,
                JsonTokenType.False => MemberKind.False,
                JsonTokenType.Null => MemberKind.Null,
                _ => MemberKind.Composite,
            };
            // Only a string the join keeps is unescaped.
            ReadOnlySpan<byte> value = kind == MemberKind.String && field != 0 && reader.ValueIsEscaped ? Unescape(ref reader, ref scratchUsed) : reader.ValueSpan;
            if (Member(field, kind, value, ref f) is { } error)
            {
                return error;
            }
            if (kind == MemberKind.Composite)
            {
                reader.Skip();
            }
        }
        return null;
    }

    /// <summary>Checks and keeps one member; returns an error naming the field, or null.</summary>
    private static string? Member(int field, MemberKind kind, ReadOnlySpan<byte> value, ref LineFields f)
    {
        if (field == 0 || kind == MemberKind.Null || field == F.LatencyMs)
        {
            return null;
        }
        switch (field)
        {
            case F.HandlingSeconds:
                if (kind != MemberKind.Number || !TryParseDouble(value, out f.Handling) || f.Handling < 0)
                {
                    return "handlingSeconds must be a number ≥ 0";
                }
                f.HasHandling = true;
                return null;
            case F.Confidence:
                if (kind != MemberKind.Number || !TryParseProbability(value, out f.Confidence))
                {
                    return "confidence must be a number in [0, 1]";
                }
                f.HasConfidence = true;
                return null;
            case F.Fallback:
                if (kind is not (MemberKind.True or MemberKind.False))
                {
                    return "fallback must be true or false";
                }
                f.Fallback = kind == MemberKind.True;
                return null;
            default:
                break;
        }
        if (kind != MemberKind.String)
        {
            return $"{FieldNames[field]} must be a string";
        }
        switch (field)
        {
            case F.Type:
                f.Type = value.SequenceEqual("scored"u8) ? EventType.Scored
                    : value.SequenceEqual("outcome"u8) ? EventType.Outcome
                    : value.SequenceEqual("assigned"u8) ? EventType.Assigned
                    : value.SequenceEqual("reply"u8) ? EventType.Reply
                    : EventType.Unknown;
                break;
            case F.Id: f.Id = value; f.HasId = true; break;
            case F.Ts:
                if (!Rfc3339.TryParseUtcTicks(value, out f.Ts))
                {
                    return "ts must be an RFC 3339 timestamp";
                }
                f.HasTs = true;
                break;
            case F.Experiment: f.Experiment = value; f.HasExperiment = true; break;
            case F.Arm: f.Arm = value; f.HasArm = true; break;
            case F.Unit: f.Unit = value; f.HasUnit = true; break;
            case F.Intent: f.Intent = value; f.HasIntent = true; break;
            case F.TrueIntent: f.TrueIntent = value; f.HasTrueIntent = true; break;
            case F.Model: f.Model = value; f.HasModel = true; break;
            case F.Phase:
                f.Phase = value.SequenceEqual("aa"u8) ? (byte)EventPhase.AA : value.SequenceEqual("ab"u8) ? (byte)EventPhase.AB : (byte)255;
                if (f.Phase == 255)
                {
                    return "phase must be \"aa\" or \"ab\"";
                }
                break;
            default: break;
        }
        return null;
    }

    /// <summary>A JSON number's text as a finite double, as <c>Utf8JsonReader.TryGetDouble</c> reads it.</summary>
    private static bool TryParseDouble(ReadOnlySpan<byte> number, out double value) =>
        System.Buffers.Text.Utf8Parser.TryParse(number, out value, out int consumed) && consumed == number.Length && double.IsFinite(value);

    /// <summary>
    /// A JSON number in [0, 1]. The common forms ("0", "1", "0.83") are read from the text, digit by
    /// digit: Utf8Parser on every confidence was a tenth of the reading time.
    /// </summary>
    private static bool TryParseProbability(ReadOnlySpan<byte> number, out double probability)
    {
        if (number.Length == 1 && number[0] is (byte)'0' or (byte)'1')
        {
            probability = number[0] - '0';
            return true;
        }
        if (number.Length is > 2 and <= 11 && number[0] == '0' && number[1] == '.' && !number[2..].ContainsAnyExceptInRange((byte)'0', (byte)'9'))
        {
            long digits = 0;
            foreach (byte b in number[2..])
            {
                digits = (digits * 10) + (b - '0');
            }
            // Both exact, and the division correctly rounded: the double the text denotes.
            probability = digits / Pow10[number.Length - 2];
            return true;
        }
        probability = 0;
        if (!TryParseDouble(number, out double p) || p is < 0 or > 1)
        {
            return false;
        }
        probability = p;
        return true;
    }

    private static readonly double[] Pow10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10];

    /// <summary>Checks a parsed line's required fields and fills <paramref name="e"/>.</summary>
    private string? Accept(ref LineFields f, ref ParsedEvent e, ref bool accepted)
    {
        EventType type = f.Type;
        if (type == EventType.Missing)
        {
            return "type is missing";
        }
        if (type == EventType.Unknown)
        {
            _unknownTypes++;
            return null;
        }
        if (!f.HasId || f.Id.IsEmpty)
        {
            return "id is missing";
        }
        if (!f.HasTs)
        {
            return "ts is missing";
        }
        bool exposure = type is EventType.Scored or EventType.Assigned;
        if (exposure && (!f.HasExperiment || f.Experiment.IsEmpty))
        {
            return "experiment is missing";
        }
        if (exposure && (!f.HasArm || f.Arm.IsEmpty))
        {
            return "arm is missing";
        }
        if (type is EventType.Scored or EventType.Reply && !f.HasIntent)
        {
            return "intent is missing";
        }
        if (type == EventType.Assigned && !f.HasUnit)
        {
            return "unit is missing";
        }
        if (f.Ts > _asOfTicks)
        {
            _afterAsOf++;
            return null;
        }
        if (f.Ts < _sinceTicks)
        {
            _beforeSince++;
            return null;
        }

        if (exposure && _experimentUtf8 is not null && !f.Experiment.SequenceEqual(_experimentUtf8))
        {
            _otherExperiments++;
            return null;
        }

        e.Type = type;
        e.Ticks = f.Ts;
        e.Id = XxHash128.HashToUInt128(f.Id);
        e.Flags = 0;
        if (exposure)
        {
            e.Experiment = (short)_experiments.Intern(f.Experiment);
            e.Arm = (short)_arms.Intern(f.Arm);
            // Without a unit, the unit is the id: its hash is the one just computed.
            e.Unit = f.HasUnit ? XxHash128.HashToUInt128(f.Unit) : e.Id;
            e.Phase = f.Phase;
            e.Intent = f.HasIntent ? (short)InternIntent(f.Intent) : (short)-1;
            e.Model = f.HasModel ? (short)_models.Intern(f.Model) : (short)-1;
            e.Confidence = f.HasConfidence ? f.Confidence : double.NaN;
            e.Flags = f.Fallback ? IsFallback : (byte)0;
        }
        else if (type == EventType.Reply)
        {
            e.Flags = _positive[InternIntent(f.Intent)] ? (byte)(HasReply | HasPositiveReply) : HasReply;
        }
        else
        {
            e.Flags = (byte)((f.HasTrueIntent ? HasLabel : 0) | (f.HasHandling ? HasHandling : 0));
            e.TrueIntent = f.HasTrueIntent ? (short)InternIntent(f.TrueIntent) : (short)-1;
            e.Handling = f.Handling;
        }
        accepted = true;
        return null;
    }

    /// <summary>Applies a batch to the join, on the joining thread.</summary>
    private void Apply(Batch batch)
    {
        var events = batch.Events.AsSpan(0, batch.Count);
        const int Ahead = 16;
        for (int i = 0; i < events.Length; i++)
        {
            if (i + Ahead < events.Length)
            {
                ref readonly var next = ref events[i + Ahead];
                _ids.Prefetch(next.Id);
                if (next.Type is EventType.Scored or EventType.Assigned)
                {
                    _units.Prefetch(next.Unit);
                }
            }
            if (i + Ahead / 2 < events.Length)
            {
                ref readonly var near = ref events[i + Ahead / 2];
                if (near.Type is not (EventType.Scored or EventType.Assigned) && _ids.Peek(near.Id) is int position and >= 0)
                {
                    _records.Prefetch(position);
                }
            }
            Apply(in events[i]);
        }
    }

    private void Apply(in ParsedEvent e)
    {
        if (e.Type is EventType.Scored or EventType.Assigned)
        {
            ref Record r = ref Find(e.Id);
            if ((r.Flags & HasExposure) != 0)
            {
                _duplicateExposures++;
                if (e.Ticks >= r.ExposureTicks)
                {
                    return;
                }
            }
            r.Flags = (byte)((r.Flags & ~IsFallback) | HasExposure | (e.Flags & IsFallback));
            if (e.Type == EventType.Assigned)
            {
                r.Flags |= IsTemplate;
            }
            r.ExposureTicks = e.Ticks;
            r.Experiment = e.Experiment;
            if (e.Experiment >= _phasesSeen.Count)
            {
                _phasesSeen.AddRange(new byte[e.Experiment - _phasesSeen.Count + 1]);
            }
            _phasesSeen[e.Experiment] |= (byte)(1 << e.Phase);
            r.Arm = e.Arm;
            r.Unit = InternUnit(e.Unit);
            r.Phase = e.Phase;
            r.Intent = e.Intent;
            r.Model = e.Model;
            r.Confidence = e.Confidence;
            return;
        }

        ref Record o = ref Find(e.Id);
        if (e.Type == EventType.Reply)
        {
            o.Flags |= e.Flags;
            return;
        }
        if ((o.Flags & HasOutcome) != 0)
        {
            _duplicateOutcomes++;
            if (e.Ticks < o.OutcomeTicks)
            {
                return;
            }
        }
        o.Flags = (byte)((o.Flags & ~(HasLabel | HasHandling)) | HasOutcome | e.Flags);
        o.OutcomeTicks = e.Ticks;
        o.TrueIntent = e.TrueIntent;
        o.Handling = e.Handling;
    }

    /// <summary>Experiments with at least one exposure, in the order first seen.</summary>
    public IReadOnlyList<string> Experiments => [.. Enumerable.Range(0, _experiments.Count).Select(i => _experiments[i])];

    /// <summary>
    /// Completes the join and aggregates one experiment and phase. Without an experiment named, the log must
    /// hold exactly one; without a phase, the latest present (A/B over A/A) is taken.
    /// </summary>
    public ExperimentObservations Complete(EventPhase? phase = null)
    {
        WaitForJoin();
        int experiment = ResolveExperiment(out string experimentName);
        EventPhase chosen = phase ?? LatestPhase();
        int arms = _arms.Count;
        var observations = Enumerable.Range(0, arms).Select(a => new ArmObservations(_arms[a])).ToArray();
        var exposures = new long[arms];
        var modelsByArm = new HashSet<int>[arms];

        // Pass 1: each unit's arm (-2 when it saw several) and exposure count.
        int units = _unitKeys.Count;
        var unitArm = new short[units];
        var unitExposures = new int[units];
        Array.Fill(unitArm, (short)-1);
        bool isTemplate = false;
        var timedUpTo = new int[arms];
        long first = long.MaxValue, last = long.MinValue, orphans = 0, fallbacks = 0;
        for (int i = 0; i < _records.Count; i++)
        {
            ref Record r = ref _records[i];
            if ((r.Flags & HasExposure) == 0)
            {
                orphans += (r.Flags & (HasOutcome | HasReply)) != 0 ? 1 : 0;
                continue;
            }
            if (!Selected(in r, experiment, chosen))
            {
                continue;
            }
            if ((r.Flags & IsFallback) != 0)
            {
                fallbacks++;
                if (_excludeFallbacks)
                {
                    continue;
                }
            }
            isTemplate |= (r.Flags & IsTemplate) != 0;
            timedUpTo[r.Arm] += (r.Flags & HasHandling) != 0 ? 1 : 0;
            unitArm[r.Unit] = unitArm[r.Unit] == -1 || unitArm[r.Unit] == r.Arm ? r.Arm : (short)-2;
            unitExposures[r.Unit]++;
            first = Math.Min(first, r.ExposureTicks);
            last = Math.Max(last, r.ExposureTicks);
        }
        bool several = unitExposures.Any(n => n > 1);
        if (!several)
        {
            // Sized once: a growing list would briefly hold its values twice.
            for (int a = 0; a < arms; a++)
            {
                observations[a].HandlingValues.EnsureCapacity(timedUpTo[a]);
            }
        }
        long conflicted = unitArm.LongCount(a => a == -2);

        long firstDay = first == long.MaxValue ? 0 : first - (first % TimeSpan.TicksPerDay);
        int intents = _intents.Count;
        foreach (var arm in observations)
        {
            arm.Confusion = new long[intents * intents];
        }
        // Pass 2: email-level statistics and per-unit sums, leaving out units seen in several arms.
        var unitLabelled = several ? new int[units] : [];
        var unitCorrect = several ? new int[units] : [];
        var unitTimed = several ? new int[units] : [];
        var unitSeconds = several ? new double[units] : [];
        var unitReplies = several ? new int[units] : [];
        var unitPositive = several ? new int[units] : [];
        for (int i = 0; i < _records.Count; i++)
        {
            ref Record r = ref _records[i];
            if ((r.Flags & HasExposure) == 0 || !Selected(in r, experiment, chosen) || unitArm[r.Unit] < 0 || (_excludeFallbacks && (r.Flags & IsFallback) != 0))
            {
                continue;
            }
            var arm = observations[r.Arm];
            exposures[r.Arm]++;
            if (r.Model >= 0)
            {
                (modelsByArm[r.Arm] ??= []).Add(r.Model);
            }
            bool labelled = (r.Flags & HasLabel) != 0, timed = (r.Flags & HasHandling) != 0;
            bool correct = labelled && r.TrueIntent == r.Intent;
            if (labelled)
            {
                arm.Accuracy = arm.Accuracy.Add(correct);
                if (r.Intent >= 0)
                {
                    arm.Confusion[(r.TrueIntent * intents) + r.Intent]++;
                }
                if (!double.IsNaN(r.Confidence))
                {
                    ref var bin = ref arm.Calibration[CalibrationBin.Of(r.Confidence)];
                    bin = new CalibrationBin(bin.Count + 1, bin.ConfidenceSum + r.Confidence, bin.Correct + (correct ? 1 : 0));
                    double miss = r.Confidence - (correct ? 1 : 0);
                    arm.Brier = arm.Brier.Add(miss * miss);
                }
            }
            if ((r.Flags & HasOutcome) != 0)
            {
                arm.OutcomeDelays.Add((double)(r.OutcomeTicks - r.ExposureTicks) / TimeSpan.TicksPerSecond);
            }
            if (timed)
            {
                arm.Handling = arm.Handling.Add(r.Handling);
                arm.HandlingLog = arm.HandlingLog.Add(Math.Log(1 + r.Handling));
                if (!several)
                {
                    arm.HandlingValues.Add(r.Handling);
                }
            }
            if ((r.Flags & IsTemplate) != 0)
            {
                arm.Replies = arm.Replies.Add((r.Flags & HasReply) != 0);
                arm.PositiveReplies = arm.PositiveReplies.Add((r.Flags & HasPositiveReply) != 0);
            }
            int day = (int)((r.ExposureTicks - firstDay) / TimeSpan.TicksPerDay);
            while (arm.Days.Count <= day)
            {
                arm.Days.Add(default);
            }
            var today = arm.Days[day];
            arm.Days[day] = new DayCounts(
                today.Exposures + 1,
                labelled ? today.Accuracy.Add(correct) : today.Accuracy,
                (r.Flags & IsTemplate) != 0 ? today.PositiveReplies.Add((r.Flags & HasPositiveReply) != 0) : today.PositiveReplies);
            if (several)
            {
                int u = r.Unit;
                unitLabelled[u] += labelled ? 1 : 0;
                unitCorrect[u] += correct ? 1 : 0;
                unitTimed[u] += timed ? 1 : 0;
                unitSeconds[u] += timed ? r.Handling : 0;
                unitReplies[u] += (r.Flags & HasReply) != 0 ? 1 : 0;
                unitPositive[u] += (r.Flags & HasPositiveReply) != 0 ? 1 : 0;
            }
        }

        // Pass 3: unit-level ratio metrics.
        for (int u = 0; u < units; u++)
        {
            if (unitArm[u] < 0)
            {
                continue;
            }
            var arm = observations[unitArm[u]];
            arm.Units++;
            if (!several)
            {
                continue;
            }
            if (unitLabelled[u] > 0)
            {
                arm.AccuracyByUnit = arm.AccuracyByUnit.Add(unitCorrect[u], unitLabelled[u]);
            }
            if (unitTimed[u] > 0)
            {
                arm.HandlingByUnit = arm.HandlingByUnit.Add(unitSeconds[u], unitTimed[u]);
                arm.HandlingValues.Add(unitSeconds[u] / unitTimed[u]);
            }
            arm.RepliesByUnit = arm.RepliesByUnit.Add(unitReplies[u], unitExposures[u]);
            arm.PositiveRepliesByUnit = arm.PositiveRepliesByUnit.Add(unitPositive[u], unitExposures[u]);
        }

        for (int a = 0; a < arms; a++)
        {
            observations[a].Exposures = exposures[a];
            foreach (int m in modelsByArm[a] ?? [])
            {
                observations[a].Models.Add(_models[m]);
            }
        }

        return new ExperimentObservations
        {
            Experiment = experimentName,
            IsTemplate = isTemplate,
            Phase = chosen,
            SeveralExposuresPerUnit = several,
            Intents = [.. Enumerable.Range(0, intents).Select(i => _intents[i])],
            Arms = [.. observations.Where(o => o.Exposures > 0 || o.Units > 0).OrderBy(o => o.Name, StringComparer.Ordinal)],
            FirstExposure = first == long.MaxValue ? null : new DateTimeOffset(first, TimeSpan.Zero),
            LastExposure = last == long.MinValue ? null : new DateTimeOffset(last, TimeSpan.Zero),
            Diagnostics = new EventLogDiagnostics
            {
                Sources = _sources,
                Lines = _lines,
                MalformedLines = _malformed,
                MalformedExamples = [.. _malformedExamples],
                UnknownTypes = _unknownTypes,
                DuplicateExposures = _duplicateExposures,
                DuplicateOutcomes = _duplicateOutcomes,
                OrphanOutcomes = orphans,
                OtherExperiments = _otherExperiments,
                AfterAsOf = _afterAsOf,
                BeforeSince = _beforeSince,
                UnitsInSeveralArms = conflicted,
                FallbackExposures = fallbacks,
                FallbacksExcluded = _excludeFallbacks,
            },
        };
    }

    /// <summary>The phases seen on the experiment's exposures while reading.</summary>
    public IReadOnlySet<EventPhase> PhasesOf()
    {
        WaitForJoin();
        int experiment = ResolveExperiment(out _);
        byte seen = experiment >= 0 && experiment < _phasesSeen.Count ? _phasesSeen[experiment] : (byte)0;
        return Enum.GetValues<EventPhase>().Where(p => (seen & (1 << (int)p)) != 0).ToHashSet();
    }

    private static bool Selected(in Record r, int experiment, EventPhase phase) =>
        r.Experiment == experiment && (phase == EventPhase.Unspecified || r.Phase == (byte)phase);

    private EventPhase LatestPhase()
    {
        var phases = PhasesOf();
        return phases.Contains(EventPhase.AB) ? EventPhase.AB : phases.Contains(EventPhase.AA) && !phases.Contains(EventPhase.Unspecified) ? EventPhase.AA : EventPhase.Unspecified;
    }

    private int ResolveExperiment(out string name)
    {
        if (_experiment is not null)
        {
            name = _experiment;
            return _experiments.IndexOf(_experiment);
        }
        if (_experiments.Count == 1)
        {
            name = _experiments[0];
            return 0;
        }
        if (_experiments.Count == 0)
        {
            throw new EventLogException("the log holds no exposures (scored or assigned events)");
        }
        throw new EventLogException("the log holds several experiments (" + string.Join(", ", Experiments) + "): choose one with --experiment");
    }

    private Span<byte> Unescape(scoped ref Utf8JsonReader reader, scoped ref int scratchUsed)
    {
        int need = scratchUsed + reader.ValueSpan.Length;
        if (need > _scratch.Length)
        {
            // Earlier slices of this line keep pointing at the old buffer, which stays alive until the line is done.
            _scratch = new byte[Math.Max(need, _scratch.Length * 2)];
            scratchUsed = 0;
        }
        int written = reader.CopyString(_scratch.AsSpan(scratchUsed));
        var span = _scratch.AsSpan(scratchUsed, written);
        scratchUsed += written;
        return span;
    }

    private int InternIntent(ReadOnlySpan<byte> intent)
    {
        int index = _intents.Intern(intent);
        if (index == _positive.Count)
        {
            _positive.Add(_positiveIntents.Contains(_intents[index]));
        }
        return index;
    }

    private static class F
    {
        public const int Type = 1, Id = 2, Ts = 3, Experiment = 4, Arm = 5, Unit = 6, Intent = 7, TrueIntent = 8,
            HandlingSeconds = 9, Confidence = 10, Model = 11, Phase = 12, LatencyMs = 13, Fallback = 14;
    }

    private static readonly string[] FieldNames =
        ["", "type", "id", "ts", "experiment", "arm", "unit", "intent", "trueIntent", "handlingSeconds", "confidence", "model", "phase", "latencyMs", "fallback"];

    private static int FieldOf(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped)
        {
            for (int f = 1; f < FieldNames.Length; f++)
            {
                if (reader.ValueTextEquals(FieldNames[f]))
                {
                    return f;
                }
            }
            return 0;
        }
        return FieldOf(reader.ValueSpan);
    }

    /// <summary>The field an unescaped member name is, or 0 for a member the join ignores.</summary>
    private static int FieldOf(ReadOnlySpan<byte> name)
    {
        return name.Length switch
        {
            2 when name.SequenceEqual("id"u8) => F.Id,
            2 when name.SequenceEqual("ts"u8) => F.Ts,
            3 when name.SequenceEqual("arm"u8) => F.Arm,
            4 when name.SequenceEqual("type"u8) => F.Type,
            4 when name.SequenceEqual("unit"u8) => F.Unit,
            5 when name.SequenceEqual("model"u8) => F.Model,
            5 when name.SequenceEqual("phase"u8) => F.Phase,
            6 when name.SequenceEqual("intent"u8) => F.Intent,
            8 when name.SequenceEqual("fallback"u8) => F.Fallback,
            9 when name.SequenceEqual("latencyMs"u8) => F.LatencyMs,
            10 when name.SequenceEqual("experiment"u8) => F.Experiment,
            10 when name.SequenceEqual("trueIntent"u8) => F.TrueIntent,
            10 when name.SequenceEqual("confidence"u8) => F.Confidence,
            15 when name.SequenceEqual("handlingSeconds"u8) => F.HandlingSeconds,
            _ => 0,
        };
    }

    private ref Record Find(UInt128 id)
    {
        var keys = new RecordKeys(_records);
        int position = _ids.Find(id, keys, out int slot);
        if (position < 0)
        {
            position = _records.Add(new Record { Id = id, Unit = -1, Arm = -1, TrueIntent = -1, Intent = -1, Model = -1, Confidence = double.NaN });
            _ids.Insert(slot, id, keys);
        }
        return ref _records[position];
    }

    private int InternUnit(UInt128 unit)
    {
        var keys = new UnitKeys(_unitKeys);
        int position = _units.Find(unit, keys, out int slot);
        if (position < 0)
        {
            position = _unitKeys.Add(unit);
            _units.Insert(slot, unit, keys);
        }
        return position;
    }

    private readonly struct RecordKeys(ChunkedList<Record> records) : IKeySource
    {
        public UInt128 KeyAt(int position) => records[position].Id;
    }

    private readonly struct UnitKeys(ChunkedList<UInt128> keys) : IKeySource
    {
        public UInt128 KeyAt(int position) => keys[position];
    }
}
