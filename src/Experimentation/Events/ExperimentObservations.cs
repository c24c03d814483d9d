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

    /// <summary>Served against shadow model on the same labelled emails: n, both right, only the served right, only the shadow right.</summary>
    public IReadOnlyDictionary<(string Served, string Shadow), (long N, long Both, long ServedOnly, long ShadowOnly)> Paired { get; init; } =
        new Dictionary<(string, string), (long, long, long, long)>();
}
