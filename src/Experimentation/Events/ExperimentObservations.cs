namespace Verdict.Experimentation.Events;

/// <summary>An experiment's per-arm statistics for one phase, as the statistics engine consumes them.</summary>
internal sealed class ExperimentObservations
{
    public required string Experiment { get; init; }

    /// <summary>True for template experiments (<c>assigned</c>/<c>reply</c> events).</summary>
    public bool IsTemplate { get; init; }

    public EventPhase Phase { get; init; }

    /// <summary>Whether some unit has more than one exposure (ratio metrics and the delta method apply).</summary>
    public bool SeveralExposuresPerUnit { get; init; }

    public required IReadOnlyList<ArmObservations> Arms { get; init; }

    /// <summary>Every intent predicted or true in the log, in the order of each arm's <see cref="ArmObservations.Confusion"/>.</summary>
    public IReadOnlyList<string> Intents { get; init; } = [];

    public DateTimeOffset? FirstExposure { get; init; }

    public DateTimeOffset? LastExposure { get; init; }

    public required EventLogDiagnostics Diagnostics { get; init; }

    /// <summary>Served against shadow model on the same emails.</summary>
    public IReadOnlyDictionary<(string Served, string Shadow), ShadowTally> Paired { get; init; } = new Dictionary<(string, string), ShadowTally>();
}

/// <summary>A served model against a shadow model on the emails both scored.</summary>
internal sealed class ShadowTally
{
    /// <summary>Labelled emails both scored.</summary>
    public long N;

    /// <summary>Labelled emails both got right, only the served model got right, only the shadow got right.</summary>
    public long Both, ServedOnly, ShadowOnly;

    /// <summary>Every email both scored, labelled or not, and those where the two predicted the same intent.</summary>
    public long Shadowed, Agreed;

    /// <summary>The shadow's scoring latencies, in microseconds (the histogram's unit is 1, so sub-millisecond times keep their 1 %).</summary>
    public DelayHistogram LatencyMicroseconds { get; } = new();
}
