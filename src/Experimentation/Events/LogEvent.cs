using System.Text.Json;

namespace Verdict.Experimentation.Events;

/// <summary>
/// An event of the log (Contract 1, schema v1), as a writer appends it. Each type checks its own fields
/// before it is buffered, so a bad event is refused at the call that made it, naming the field.
/// </summary>
public abstract record LogEvent
{
    private protected LogEvent(string id, DateTimeOffset ts)
    {
        Id = id;
        Ts = ts;
    }

    /// <summary>The event's id: the scoring id or message id it concerns.</summary>
    public string Id { get; }

    /// <summary>When it happened; written in UTC.</summary>
    public DateTimeOffset Ts { get; }

    /// <summary>The experiment it belongs to, which partitions the log; null when the writer does not know it.</summary>
    public abstract string? Experiment { get; }

    internal abstract string Type { get; }

    /// <summary>The log partition (first path segment of its blobs): the experiment, or the unattributed one.</summary>
    internal virtual string Partition => EventLogWriter.PartitionOf(Experiment);

    /// <summary>Writes the event as one JSON object.</summary>
    internal void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("type", Type);
        writer.WriteString("id", Id);
        writer.WriteString("ts", Ts.UtcDateTime);
        WriteFields(writer);
        writer.WriteEndObject();
    }

    private protected abstract void WriteFields(Utf8JsonWriter writer);

    private protected static string Required(string? value, string field) =>
        string.IsNullOrEmpty(value) ? throw new ArgumentException($"{field} is required", field) : value;

    private protected static string RequiredId(string? value) => Required(value, "id");

    /// <summary>A model's confidence, checked to be in [0, 1].</summary>
    private protected static double Probability(double confidence) =>
        confidence is >= 0 and <= 1 ? confidence : throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "confidence must be in [0, 1]");

    /// <summary>A measured latency, checked to be finite and ≥ 0 when given.</summary>
    private protected static double? Latency(double? latencyMs) =>
        latencyMs is not { } latency || (latency >= 0 && double.IsFinite(latency)) ? latencyMs
            : throw new ArgumentOutOfRangeException(nameof(latencyMs), latencyMs, "latencyMs must be a finite number ≥ 0");
}

/// <summary>An email was scored under an experiment: an exposure (<c>scored</c>).</summary>
public sealed record ScoredEvent : LogEvent
{
    /// <summary>Creates the event; throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public ScoredEvent(string id, DateTimeOffset ts, string experiment, string arm, string unit, string model, string intent, double confidence, EventPhase phase = EventPhase.Unspecified, double? latencyMs = null)
        : base(RequiredId(id), ts)
    {
        Experiment = Required(experiment, nameof(experiment));
        Arm = Required(arm, nameof(arm));
        Unit = Required(unit, nameof(unit));
        Model = Required(model, nameof(model));
        Intent = Required(intent, nameof(intent));
        Confidence = Probability(confidence);
        LatencyMs = Latency(latencyMs);
        Phase = phase;
    }

    /// <inheritdoc/>
    public override string Experiment { get; }

    /// <summary>The arm the unit was assigned.</summary>
    public string Arm { get; }

    /// <summary>The randomization unit.</summary>
    public string Unit { get; }

    /// <summary>The model that scored it, <c>name@version</c>.</summary>
    public string Model { get; }

    /// <summary>The predicted intent.</summary>
    public string Intent { get; }

    /// <summary>The model's confidence in it.</summary>
    public double Confidence { get; }

    /// <summary>The experiment's phase at scoring.</summary>
    public EventPhase Phase { get; }

    /// <summary>Scoring latency, when measured.</summary>
    public double? LatencyMs { get; }

    /// <summary>
    /// True when the arm's model could not be reached (the GPU service was down, slow or failing) and the
    /// control's model answered instead; written as <c>"fallback": true</c> so the analysis can count or
    /// leave out such exposures.
    /// </summary>
    public bool Fallback { get; init; }

    internal override string Type => "scored";

    private protected override void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteString("experiment", Experiment);
        writer.WriteString("arm", Arm);
        writer.WriteString("unit", Unit);
        writer.WriteString("model", Model);
        writer.WriteString("intent", Intent);
        writer.WriteNumber("confidence", Confidence);
        if (Phase != EventPhase.Unspecified)
        {
            writer.WriteString("phase", Phase == EventPhase.AA ? "aa" : "ab");
        }
        if (LatencyMs is { } latency)
        {
            writer.WriteNumber("latencyMs", latency);
        }
        if (Fallback)
        {
            writer.WriteBoolean("fallback", true);
        }
    }
}

/// <summary>What happened to a scored email (<c>outcome</c>).</summary>
public sealed record OutcomeEvent : LogEvent
{
    /// <summary>Creates the event; throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    /// <param name="id">The scoring id it answers.</param>
    /// <param name="ts">When the outcome was recorded.</param>
    /// <param name="trueIntent">The intent the rep confirmed, if any.</param>
    /// <param name="handlingSeconds">The rep's handling time, if measured.</param>
    /// <param name="experiment">The experiment of the scoring, when the caller knows it (an extra field readers ignore).</param>
    public OutcomeEvent(string id, DateTimeOffset ts, string? trueIntent, double? handlingSeconds, string? experiment = null)
        : base(RequiredId(id), ts)
    {
        if (trueIntent is { Length: 0 })
        {
            throw new ArgumentException("trueIntent must not be empty", nameof(trueIntent));
        }
        if (handlingSeconds is { } h && !(h >= 0 && double.IsFinite(h)))
        {
            throw new ArgumentOutOfRangeException(nameof(handlingSeconds), handlingSeconds, "handlingSeconds must be a finite number ≥ 0");
        }
        if (trueIntent is null && handlingSeconds is null)
        {
            throw new ArgumentException("an outcome needs trueIntent or handlingSeconds", nameof(trueIntent));
        }
        TrueIntent = trueIntent;
        HandlingSeconds = handlingSeconds;
        Experiment = experiment is { Length: 0 } ? null : experiment;
    }

    /// <inheritdoc/>
    public override string? Experiment { get; }

    /// <summary>The intent the rep confirmed.</summary>
    public string? TrueIntent { get; }

    /// <summary>The rep's handling time in seconds.</summary>
    public double? HandlingSeconds { get; }

    internal override string Type => "outcome";

    private protected override void WriteFields(Utf8JsonWriter writer)
    {
        if (Experiment is not null)
        {
            writer.WriteString("experiment", Experiment);
        }
        if (TrueIntent is not null)
        {
            writer.WriteString("trueIntent", TrueIntent);
        }
        if (HandlingSeconds is { } h)
        {
            writer.WriteNumber("handlingSeconds", h);
        }
    }
}

/// <summary>A unit got a template: an exposure of a template experiment (<c>assigned</c>).</summary>
public sealed record AssignedEvent : LogEvent
{
    /// <summary>Creates the event; throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public AssignedEvent(string id, DateTimeOffset ts, string experiment, string arm, string unit)
        : base(RequiredId(id), ts)
    {
        Experiment = Required(experiment, nameof(experiment));
        Arm = Required(arm, nameof(arm));
        Unit = Required(unit, nameof(unit));
    }

    /// <inheritdoc/>
    public override string Experiment { get; }

    /// <summary>The template the unit got.</summary>
    public string Arm { get; }

    /// <summary>The randomization unit.</summary>
    public string Unit { get; }

    internal override string Type => "assigned";

    private protected override void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteString("experiment", Experiment);
        writer.WriteString("arm", Arm);
        writer.WriteString("unit", Unit);
    }
}

/// <summary>A reply arrived to an assigned message (<c>reply</c>).</summary>
public sealed record ReplyEvent : LogEvent
{
    /// <summary>Creates the event; throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    /// <param name="id">The message id it answers.</param>
    /// <param name="ts">When the reply arrived.</param>
    /// <param name="intent">The reply's predicted intent.</param>
    /// <param name="experiment">The experiment of the message, when the caller knows it.</param>
    public ReplyEvent(string id, DateTimeOffset ts, string intent, string? experiment = null)
        : base(RequiredId(id), ts)
    {
        Intent = Required(intent, nameof(intent));
        Experiment = experiment is { Length: 0 } ? null : experiment;
    }

    /// <inheritdoc/>
    public override string? Experiment { get; }

    /// <summary>The reply's predicted intent.</summary>
    public string Intent { get; }

    internal override string Type => "reply";

    private protected override void WriteFields(Utf8JsonWriter writer)
    {
        if (Experiment is not null)
        {
            writer.WriteString("experiment", Experiment);
        }
        writer.WriteString("intent", Intent);
    }
}

/// <summary>
/// An email an experiment served was also scored, unserved, by one of its shadow models (<c>shadow</c>): the same
/// email under two models, which the paired analysis compares on its outcome's true intent. Its id is the scoring id
/// it shadows; it lives in the experiment's partition.
/// </summary>
public sealed record ShadowEvent : LogEvent
{
    /// <summary>Creates the event; throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    /// <param name="id">The scoring id of the served prediction it shadows.</param>
    /// <param name="ts">When the shadow model scored it.</param>
    /// <param name="experiment">The experiment that served the email.</param>
    /// <param name="model">The shadow model, <c>name@version</c>.</param>
    /// <param name="intent">Its predicted intent.</param>
    /// <param name="confidence">Its confidence in it.</param>
    /// <param name="latencyMs">Its scoring latency, when measured.</param>
    public ShadowEvent(string id, DateTimeOffset ts, string experiment, string model, string intent, double confidence, double? latencyMs = null)
        : base(RequiredId(id), ts)
    {
        Experiment = Required(experiment, nameof(experiment));
        Model = Required(model, nameof(model));
        Intent = Required(intent, nameof(intent));
        Confidence = Probability(confidence);
        LatencyMs = Latency(latencyMs);
    }

    /// <inheritdoc/>
    public override string Experiment { get; }

    /// <summary>The shadow model, <c>name@version</c>.</summary>
    public string Model { get; }

    /// <summary>Its predicted intent.</summary>
    public string Intent { get; }

    /// <summary>Its confidence in it.</summary>
    public double Confidence { get; }

    /// <summary>Its scoring latency, off the served request's.</summary>
    public double? LatencyMs { get; }

    internal override string Type => "shadow";

    private protected override void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteString("experiment", Experiment);
        writer.WriteString("model", Model);
        writer.WriteString("intent", Intent);
        writer.WriteNumber("confidence", Confidence);
        if (LatencyMs is { } latency)
        {
            writer.WriteNumber("latencyMs", latency);
        }
    }
}

/// <summary>
/// An email scored outside any experiment, by the champion of a slot (<c>served</c>): what a model answered in
/// production, for drift and retraining. It lives in the slot's own partition, <c>_slot-{slot}</c>, which no
/// experiment's analysis reads.
/// </summary>
public sealed record ServedEvent : LogEvent
{
    /// <summary>Creates the event; throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public ServedEvent(string id, DateTimeOffset ts, string slot, string model, string intent, double confidence, double? latencyMs = null)
        : base(RequiredId(id), ts)
    {
        Slot = Required(slot, nameof(slot));
        if (!IsSlotName(slot))
        {
            throw new ArgumentException("slot must be 1 to 63 letters, digits, '-', '_' or '.', starting with a letter or digit", nameof(slot));
        }
        Model = Required(model, nameof(model));
        Intent = Required(intent, nameof(intent));
        Confidence = Probability(confidence);
        LatencyMs = Latency(latencyMs);
    }

    /// <summary>Whether <paramref name="slot"/> is a valid slot name: 1 to 63 letters, digits, '-', '_' or '.', starting with a letter or digit.</summary>
    public static bool IsSlotName(string slot) => System.Text.RegularExpressions.Regex.IsMatch(slot ?? "", "^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$");

    /// <inheritdoc/>
    public override string? Experiment => null;

    /// <summary>The slot whose champion answered.</summary>
    public string Slot { get; }

    /// <summary>The model that answered, <c>name@version</c>.</summary>
    public string Model { get; }

    /// <summary>The predicted intent.</summary>
    public string Intent { get; }

    /// <summary>The model's confidence in it.</summary>
    public double Confidence { get; }

    /// <summary>Scoring latency, when measured.</summary>
    public double? LatencyMs { get; }

    internal override string Type => "served";

    internal override string Partition => "_slot-" + Slot;

    private protected override void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteString("slot", Slot);
        writer.WriteString("model", Model);
        writer.WriteString("intent", Intent);
        writer.WriteNumber("confidence", Confidence);
        if (LatencyMs is { } latency)
        {
            writer.WriteNumber("latencyMs", latency);
        }
    }
}

/// <summary>
/// An email's text, kept for retraining (<c>body</c>): written only for an experiment or slot that opts in, to a
/// container of its own (<c>bodies</c>, never the event log), partitioned like the log and deleted after the
/// retention the deployment sets (docs/functions.md).
/// </summary>
public sealed record BodyEvent : LogEvent
{
    /// <summary>Creates the event; throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    /// <param name="id">The scoring id, which outcomes name.</param>
    /// <param name="ts">When it was scored.</param>
    /// <param name="text">The subject and body as scored.</param>
    /// <param name="experiment">The experiment it was scored under, or null.</param>
    /// <param name="slot">The slot whose champion scored it, when no experiment did.</param>
    public BodyEvent(string id, DateTimeOffset ts, string text, string? experiment, string? slot)
        : base(RequiredId(id), ts)
    {
        Text = text ?? throw new ArgumentNullException(nameof(text));
        if ((experiment is null) == (slot is null))
        {
            throw new ArgumentException("a body belongs to an experiment or to a slot", nameof(experiment));
        }
        if (slot is not null && !ServedEvent.IsSlotName(slot))
        {
            throw new ArgumentException("slot is not a slot name", nameof(slot));
        }
        Experiment = experiment;
        Slot = slot;
    }

    /// <inheritdoc/>
    public override string? Experiment { get; }

    /// <summary>The slot whose champion scored it.</summary>
    public string? Slot { get; }

    /// <summary>The email's text.</summary>
    public string Text { get; }

    internal override string Type => "body";

    internal override string Partition => Slot is { } slot ? "_slot-" + slot : base.Partition;

    private protected override void WriteFields(Utf8JsonWriter writer)
    {
        if (Experiment is not null)
        {
            writer.WriteString("experiment", Experiment);
        }
        if (Slot is not null)
        {
            writer.WriteString("slot", Slot);
        }
        writer.WriteString("text", Text);
    }
}
