namespace Verdict.Experimentation.Events;

/// <summary>What reading the event log found besides the events it used.</summary>
public sealed record EventLogDiagnostics
{
    /// <summary>Files or blobs read.</summary>
    public int Sources { get; init; }

    /// <summary>Non-empty lines read.</summary>
    public long Lines { get; init; }

    /// <summary>Malformed lines skipped.</summary>
    public long MalformedLines { get; init; }

    /// <summary>The first malformed lines, as <c>file:line: reason</c>.</summary>
    public IReadOnlyList<string> MalformedExamples { get; init; } = [];

    /// <summary>Events of a type schema v1 does not define, counted and skipped.</summary>
    public long UnknownTypes { get; init; }

    /// <summary>Exposures whose id was already seen (the earliest counts).</summary>
    public long DuplicateExposures { get; init; }

    /// <summary>Outcomes whose id was already seen (the latest <c>ts</c> wins).</summary>
    public long DuplicateOutcomes { get; init; }

    /// <summary>Outcomes or replies with no exposure of the analysed experiment.</summary>
    public long OrphanOutcomes { get; init; }

    /// <summary>Exposures of other experiments, skipped.</summary>
    public long OtherExperiments { get; init; }

    /// <summary>Events after <c>--as-of</c>, skipped.</summary>
    public long AfterAsOf { get; init; }

    /// <summary>Events before <c>--since</c>, skipped.</summary>
    public long BeforeSince { get; init; }

    /// <summary>Units exposed to more than one arm, left out of the analysis.</summary>
    public long UnitsInSeveralArms { get; init; }

    /// <summary>Exposures of the analysed experiment and phase scored by a fallback model (<c>"fallback": true</c>: the arm's own model was unavailable).</summary>
    public long FallbackExposures { get; init; }

    /// <summary>Whether those exposures were left out of every metric (<c>--exclude-fallbacks</c>); otherwise they count for their arm.</summary>
    public bool FallbacksExcluded { get; init; }
}
