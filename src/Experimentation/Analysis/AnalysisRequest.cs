namespace Verdict.Experimentation.Analysis;

/// <summary>What to analyse and how (Contract 2's options).</summary>
public sealed record AnalysisRequest
{
    /// <summary>
    /// JSONL files, folders of them, Blob prefixes (<c>blob://container/prefix</c>), or the event log in a
    /// container (<c>log://container</c>: the experiment's blobs for the hours between <see cref="Since"/> and <see cref="AsOf"/>).
    /// </summary>
    public required IReadOnlyList<string> Events { get; init; }

    /// <summary>The experiment; may be omitted when the log holds one.</summary>
    public string? Experiment { get; init; }

    /// <summary>The control arm; by default <c>champion</c>, else <c>control</c>, else the first arm by name.</summary>
    public string? Control { get; init; }

    /// <summary>Significance level, in (0, 0.5].</summary>
    public double Alpha { get; init; } = 0.05;

    /// <summary>Planned weights per arm for the sample-ratio check; equal weights when absent.</summary>
    public IReadOnlyDictionary<string, double>? Weights { get; init; }

    /// <summary>Ignore events after this instant (an interim look at a past moment).</summary>
    public DateTimeOffset? AsOf { get; init; }

    /// <summary>Ignore events before this instant.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Leave out exposures scored by a fallback model (<c>"fallback": true</c>) instead of counting them for their arm.</summary>
    public bool ExcludeFallbacks { get; init; }

    /// <summary>Fail on the first malformed line instead of skipping it.</summary>
    public bool Strict { get; init; }

    /// <summary>Planned total units across arms; before it is reached, decisions use always-valid p-values.</summary>
    public long? PlannedUnits { get; init; }

    /// <summary>Reply intents that count as positive (template experiments).</summary>
    public IReadOnlyList<string> PositiveIntents { get; init; } = ["positive"];

    /// <summary>Phase to analyse (<c>aa</c> or <c>ab</c>); by default the latest in the log.</summary>
    public Events.EventPhase? Phase { get; init; }

    /// <summary>Storage connection string for Blob paths.</summary>
    public string? BlobConnectionString { get; init; }

    /// <summary>The Blob service for Blob paths, when the caller already reaches the account (with a managed identity, say); it wins over <see cref="BlobConnectionString"/>.</summary>
    public Azure.Storage.Blobs.BlobServiceClient? BlobService { get; init; }

    /// <summary>Non-inferiority guardrails: a treatment may not be worse than the control by more than the margin on the metric.</summary>
    public IReadOnlyList<Guardrail> Guardrails { get; init; } = [];

    /// <summary>Seed of the Monte Carlo for probability to be best and of the bootstrap intervals.</summary>
    public int Seed { get; init; } = 20_261_122;

    /// <summary>The request an experiment's own definition implies: its alpha, planned split and sample, control and guardrails.</summary>
    public static AnalysisRequest For(Experiments.ExperimentDefinition definition, IReadOnlyList<string> events)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return new AnalysisRequest
        {
            Events = events,
            Experiment = definition.Id,
            Alpha = definition.Alpha,
            Weights = definition.Arms.ToDictionary(a => a.Name, a => a.Weight),
            PlannedUnits = definition.PlannedUnitsPerArm > 0 ? definition.PlannedUnitsPerArm * definition.Arms.Count : null,
            Control = definition.ControlArm,
            Guardrails = definition.Guardrails,
        };
    }
}
