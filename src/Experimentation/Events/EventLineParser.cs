using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using static Verdict.Experimentation.Events.RecordFlags;

namespace Verdict.Experimentation.Events;

/// <summary>
/// The first stage of reading a log: one line in, one compact <see cref="ParsedEvent"/> out (hashed id and unit,
/// interned names), or a malformed line named by its field. Filters by experiment and time window here, so the
/// join never sees what it would drop. Used by one thread at a time.
/// </summary>
internal sealed class EventLineParser
{
    private const int MaxMalformedExamples = 20;

    private readonly byte[]? _experimentUtf8;
    private readonly long _asOfTicks;
    private readonly long _sinceTicks;
    private readonly bool _strict;
    private readonly HashSet<string> _positiveIntents;
    private readonly List<bool> _positive = [];
    private readonly List<string> _malformedExamples = [];
    private byte[] _scratch = new byte[256];
    private long _lines, _malformed, _unknownTypes, _otherExperiments, _afterAsOf, _beforeSince;

    public EventLineParser(string? experiment, DateTimeOffset? asOf, DateTimeOffset? since, bool strict, IEnumerable<string>? positiveIntents)
    {
        _experimentUtf8 = experiment is null ? null : Encoding.UTF8.GetBytes(experiment);
        _asOfTicks = asOf?.UtcTicks ?? long.MaxValue;
        _sinceTicks = since?.UtcTicks ?? long.MinValue;
        _strict = strict;
        _positiveIntents = new HashSet<string>(positiveIntents ?? ["positive"], StringComparer.Ordinal);
    }

    public InternTable Arms { get; } = new();

    public InternTable Intents { get; } = new();

    public InternTable Models { get; } = new();

    public InternTable Experiments { get; } = new();

    public long Lines => _lines;

    public long Malformed => _malformed;

    public IReadOnlyList<string> MalformedExamples => _malformedExamples;

    public long UnknownTypes => _unknownTypes;

    public long OtherExperiments => _otherExperiments;

    public long AfterAsOf => _afterAsOf;

    public long BeforeSince => _beforeSince;

    /// <summary>
    /// Parses one line into <paramref name="parsed"/>; true when it is an event for the join. A malformed line is
    /// counted (and its first examples kept), or thrown as an <see cref="EventLogException"/> when strict.
    /// </summary>
    public bool TryParse(ReadOnlySpan<byte> line, string source, long number, ref ParsedEvent parsed)
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
        /// <summary>The latency's number text, read only for a shadow event (an exposure's latency is not analysed).</summary>
        public ReadOnlySpan<byte> Latency;
        public bool HasId, HasTs, HasTrueIntent, HasHandling, HasExperiment, HasArm, HasUnit, HasIntent, HasModel, HasConfidence, Fallback;
        public long Ts;
        public double Handling;
        public double Covariate;
        public bool HasCovariate;
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
        if (field == 0 || kind == MemberKind.Null)
        {
            return null;
        }
        if (field == F.LatencyMs)
        {
            f.Latency = kind == MemberKind.Number ? value : default;
            return null;
        }
        switch (field)
        {
            case F.Covariate:
                if (kind != MemberKind.Number || !TryParseDouble(value, out f.Covariate))
                {
                    return "covariate must be a finite number";
                }
                f.HasCovariate = true;
                return null;
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
                    : value.SequenceEqual("shadow"u8) ? EventType.Shadow
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
        if (type is EventType.Scored or EventType.Reply or EventType.Shadow && !f.HasIntent)
        {
            return "intent is missing";
        }
        if (type == EventType.Shadow && (!f.HasModel || f.Model.IsEmpty))
        {
            return "model is missing";
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

        if ((exposure || (type == EventType.Shadow && f.HasExperiment)) && _experimentUtf8 is not null && !f.Experiment.SequenceEqual(_experimentUtf8))
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
            e.Experiment = (short)Experiments.Intern(f.Experiment);
            e.Arm = (short)Arms.Intern(f.Arm);
            // Without a unit, the unit is the id: its hash is the one just computed.
            e.Unit = f.HasUnit ? XxHash128.HashToUInt128(f.Unit) : e.Id;
            e.Phase = f.Phase;
            e.Intent = f.HasIntent ? (short)InternIntent(f.Intent) : (short)-1;
            e.Model = f.HasModel ? (short)Models.Intern(f.Model) : (short)-1;
            e.Value = f.HasConfidence ? f.Confidence : double.NaN;
            e.Flags = f.Fallback ? IsFallback : (byte)0;
        }
        else if (type == EventType.Reply)
        {
            e.Flags = _positive[InternIntent(f.Intent)] ? (byte)(HasReply | HasPositiveReply) : HasReply;
        }
        else if (type == EventType.Shadow)
        {
            e.Intent = (short)InternIntent(f.Intent);
            e.Model = (short)Models.Intern(f.Model);
            // A latency that is not a finite number ≥ 0 is left out, as if absent: it is reported, not analysed.
            e.Value = !f.Latency.IsEmpty && TryParseDouble(f.Latency, out double latency) && latency >= 0 ? latency : double.NaN;
        }
        else
        {
            e.Flags = (byte)((f.HasTrueIntent ? HasLabel : 0) | (f.HasHandling ? HasHandling : 0));
            e.TrueIntent = f.HasTrueIntent ? (short)InternIntent(f.TrueIntent) : (short)-1;
            e.Value = f.Handling;
            e.Covariate = f.HasCovariate ? f.Covariate : double.NaN;
        }
        accepted = true;
        return null;
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
        int index = Intents.Intern(intent);
        if (index == _positive.Count)
        {
            _positive.Add(_positiveIntents.Contains(Intents[index]));
        }
        return index;
    }

    private static class F
    {
        public const int Type = 1, Id = 2, Ts = 3, Experiment = 4, Arm = 5, Unit = 6, Intent = 7, TrueIntent = 8,
            HandlingSeconds = 9, Confidence = 10, Model = 11, Phase = 12, LatencyMs = 13, Fallback = 14, Covariate = 15;
    }

    private static readonly string[] FieldNames =
        ["", "type", "id", "ts", "experiment", "arm", "unit", "intent", "trueIntent", "handlingSeconds", "confidence", "model", "phase", "latencyMs", "fallback", "covariate"];

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
            9 when name.SequenceEqual("covariate"u8) => F.Covariate,
            10 when name.SequenceEqual("experiment"u8) => F.Experiment,
            10 when name.SequenceEqual("trueIntent"u8) => F.TrueIntent,
            10 when name.SequenceEqual("confidence"u8) => F.Confidence,
            15 when name.SequenceEqual("handlingSeconds"u8) => F.HandlingSeconds,
            _ => 0,
        };
    }
}
