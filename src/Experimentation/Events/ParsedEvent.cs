namespace Verdict.Experimentation.Events;

/// <summary>The event types the join knows; <see cref="Unknown"/> lines are counted and skipped.</summary>
internal enum EventType : byte
{
    Missing,
    Unknown,
    Scored,
    Outcome,
    Assigned,
    Reply,
    Shadow,
}

/// <summary>One valid line, parsed: everything the join needs and nothing it does not.</summary>
internal struct ParsedEvent
{
    public UInt128 Id;
    /// <summary>An exposure's unit hash (the id's when the event names no unit); an outcome's covariate, as <see cref="Covariate"/>.</summary>
    public UInt128 Unit;
    public long Ticks;
    /// <summary>An outcome's handling seconds, or an exposure's confidence (NaN when it gave none): one field, so the event is 64 bytes.</summary>
    public double Value;
    public short Arm;
    public short Experiment;
    public short Intent;
    public short TrueIntent;
    public short Model;
    public EventType Type;
    public byte Phase;
    public byte Flags;

    /// <summary>
    /// An outcome's pre-experiment covariate (NaN when it gave none). Outcomes have no unit, so it lives in the unit's
    /// bytes, which keeps the event at 64 bytes.
    /// </summary>
    public double Covariate
    {
        readonly get => BitConverter.UInt64BitsToDouble((ulong)Unit);
        set => Unit = BitConverter.DoubleToUInt64Bits(value);
    }
}

/// <summary>What an event id's record holds: set bit by bit as its exposure, outcome and replies are joined.</summary>
internal static class RecordFlags
{
    public const byte HasExposure = 1, HasOutcome = 2, HasLabel = 4, HasHandling = 8, HasReply = 16, HasPositiveReply = 32, IsTemplate = 64, IsFallback = 128;
}

/// <summary>
/// One event id's joined state: 64 bytes, no strings (names are indexes into the parser's intern tables). The fields
/// are ordered widest first so that none is padded: a reordering that adds 16 bytes adds 80 MB per 5M exposures.
/// </summary>
internal struct JoinRecord
{
    public UInt128 Id;
    public long ExposureTicks;
    public long OutcomeTicks;
    public double Handling;
    /// <summary>The exposure's confidence; NaN when it did not say.</summary>
    public double Confidence;
    public int Unit;
    public short Arm;
    public short Experiment;
    public short Intent;
    public short TrueIntent;
    public short Model;
    public byte Flags;
    public byte Phase;
}
