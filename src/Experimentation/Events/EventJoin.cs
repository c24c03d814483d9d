using static Verdict.Experimentation.Events.RecordFlags;

namespace Verdict.Experimentation.Events;

/// <summary>
/// The second stage: parsed events joined by id into one <see cref="JoinRecord"/> each, in any order (an outcome
/// may come before its exposure). The dedup rules live here: the earliest exposure of an id counts, the latest
/// outcome wins, replies accumulate. Units are interned by their 128-bit hash. Used by one thread at a time.
/// </summary>
/// <remarks>
/// Per-event state is one 64-byte record keyed by a 128-bit XxHash of the id (a collision among 10^9 ids
/// has probability below 10^-20), found through a <see cref="KeyIndex"/>; units are interned the same way.
/// </remarks>
internal sealed class EventJoin
{
    private readonly ChunkedList<JoinRecord> _records = new();
    private readonly ChunkedList<UInt128> _unitKeys = new();
    private readonly KeyIndex _ids = new();
    private readonly KeyIndex _units = new();
    // Per experiment index: bit p set when an exposure of phase p was joined.
    private readonly List<byte> _phasesSeen = [];
    private long _duplicateExposures, _duplicateOutcomes;
    // Shadow predictions by record position (model, intent, latency in ms or NaN), the first of each model: only shadowed emails pay for it.
    private readonly Dictionary<int, List<(short Model, short Intent, double LatencyMs)>> _shadows = [];

    // Outcomes' pre-experiment covariates by record position: only the records that have one pay for it.
    private readonly Dictionary<int, double> _covariates = [];

    /// <summary>Every id's record, in the order first seen.</summary>
    public ChunkedList<JoinRecord> Records => _records;

    /// <summary>Distinct units; a record's <see cref="JoinRecord.Unit"/> indexes them.</summary>
    public int UnitCount => _unitKeys.Count;

    /// <summary>The key (the unit's 128-bit hash) of a record's <see cref="JoinRecord.Unit"/>.</summary>
    public UInt128 UnitKey(int unit) => _unitKeys[unit];

    public long DuplicateExposures => _duplicateExposures;

    public long DuplicateOutcomes => _duplicateOutcomes;

    /// <summary>The covariate of the record at a position, or NaN when its outcome gave none.</summary>
    public double CovariateAt(int position) => _covariates.Count > 0 && _covariates.TryGetValue(position, out double x) ? x : double.NaN;

    /// <summary>The shadow predictions of the record at a position (none for most).</summary>
    public IReadOnlyList<(short Model, short Intent, double LatencyMs)> ShadowsAt(int position) => _shadows.Count > 0 && _shadows.TryGetValue(position, out var list) ? list : [];

    /// <summary>Whether any shadow prediction was joined.</summary>
    public bool HasShadows => _shadows.Count > 0;

    /// <summary>Whether any outcome carried a covariate.</summary>
    public bool HasCovariates => _covariates.Count > 0;

    /// <summary>The phases (bit p for <see cref="EventPhase"/> p) of the experiment's exposures.</summary>
    public byte PhasesOf(int experiment) => experiment >= 0 && experiment < _phasesSeen.Count ? _phasesSeen[experiment] : (byte)0;

    /// <summary>Sizes the indexes for about <paramref name="ids"/> ids, so they are not grown and re-hashed along the way.</summary>
    public void Reserve(int ids)
    {
        _ids.Reserve(ids);
        _units.Reserve(ids);
    }

    /// <summary>Applies parsed events in order, prefetching what the events ahead will touch.</summary>
    public void Apply(ReadOnlySpan<ParsedEvent> events)
    {
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
            ref JoinRecord r = ref Find(e.Id);
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
            r.Confidence = e.Value;
            return;
        }

        ref JoinRecord o = ref Find(e.Id, out int position);
        if (e.Type == EventType.Shadow)
        {
            if (!_shadows.TryGetValue(position, out var list))
            {
                _shadows[position] = list = [];
            }
            short model = e.Model;
            if (!list.Exists(s => s.Model == model))
            {
                list.Add((model, e.Intent, e.Value));
            }
            return;
        }
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
        o.Handling = e.Value;
        double covariate = e.Covariate;
        if (!double.IsNaN(covariate))
        {
            _covariates[position] = covariate;
        }
        else if (_covariates.Count > 0)
        {
            _covariates.Remove(position);
        }
    }

    private ref JoinRecord Find(UInt128 id) => ref Find(id, out _);

    private ref JoinRecord Find(UInt128 id, out int position)
    {
        var keys = new RecordKeys(_records);
        position = _ids.Find(id, keys, out int slot);
        if (position < 0)
        {
            position = _records.Add(new JoinRecord { Id = id, Unit = -1, Arm = -1, TrueIntent = -1, Intent = -1, Model = -1, Confidence = double.NaN });
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

    private readonly struct RecordKeys(ChunkedList<JoinRecord> records) : IKeySource
    {
        public UInt128 KeyAt(int position) => records[position].Id;
    }

    private readonly struct UnitKeys(ChunkedList<UInt128> keys) : IKeySource
    {
        public UInt128 KeyAt(int position) => keys[position];
    }
}
