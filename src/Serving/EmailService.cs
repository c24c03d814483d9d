using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Experiments;
using Verdict.Scoring;
using Verdict.Scoring.Hosting;

namespace Verdict.Serving;

/// <summary>
/// What happens to an email, whatever carried it (an HTTP route or a queue message): assign the
/// arm, score, answer, log. Requests are typed records; a refused one is a <see cref="ServiceError"/> naming
/// the field, and nothing of it is scored or logged. Scoring is idempotent by scoring id (a repeat returns the
/// first answer and logs nothing new), and so is template assignment by message id. Email text is scored and
/// forgotten: it never reaches the log or a trace, unless its experiment or slot opts in to keeping it for
/// retraining, and then only in the bodies container. The service knows nothing of HTTP, queues or the host.
/// </summary>
public sealed class EmailService
{
    private readonly IIntentScorer _scorer;
    private readonly IArmAssigner _assigner;
    private readonly EventLogWriter _log;
    private readonly ServingOptions _options;
    private readonly IGpuScorer? _gpu;
    private readonly TimeProvider _time;
    private readonly ILogger<EmailService> _logger;
    private readonly ModelTargets _targets;
    private readonly IChampionSlots? _slots;
    private readonly EventLogWriter? _bodies;
    private readonly ShadowScoring? _shadows;
    private readonly RecentAnswers<ScoreResponse> _scored;
    private readonly RecentAnswers<TemplateAssignment> _assigned;
    private readonly ConcurrentDictionary<string, Task<byte[]>> _inFlight = new(StringComparer.Ordinal);

    /// <summary>A service over the models of <paramref name="scoring"/>, assigning with <paramref name="assigner"/> and logging to <paramref name="log"/>.</summary>
    /// <param name="scoring">The models and their scorer.</param>
    /// <param name="assigner">Experiments' arm assignment.</param>
    /// <param name="log">The event log.</param>
    /// <param name="options">Limits and the default model.</param>
    /// <param name="gpu">The GPU service's client, when <see cref="ServingOptions.GpuService"/> is on.</param>
    /// <param name="time">The clock for event timestamps.</param>
    /// <param name="logger">Where fallbacks are reported.</param>
    /// <param name="slots">The champion slots, for traffic that names no experiment or model; without them, that traffic gets the default model.</param>
    /// <param name="bodies">Where the text of emails is kept for the experiments and slots that opt in; null keeps none.</param>
    /// <param name="shadows">Where emails go to be scored by their experiment's shadow models once answered; null shadows none.</param>
    public EmailService(ScoringRuntime scoring, IArmAssigner assigner, EventLogWriter log, ServingOptions options, IGpuScorer? gpu, TimeProvider time, ILogger<EmailService> logger, IChampionSlots? slots = null, EventLogWriter? bodies = null, ShadowScoring? shadows = null)
    {
        ArgumentNullException.ThrowIfNull(scoring);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxEmailChars, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.IdempotencyEntries, 1);
        _scorer = scoring.Scorer;
        _assigner = assigner ?? throw new ArgumentNullException(nameof(assigner));
        _log = log ?? throw new ArgumentNullException(nameof(log));
        _options = options;
        _gpu = options.GpuService ? gpu ?? throw new ArgumentException("GpuService is on, but no GPU client is given", nameof(gpu)) : null;
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _targets = shadows?.Targets ?? new ModelTargets(scoring, time);
        _slots = slots;
        _bodies = bodies;
        _shadows = shadows;
        _scored = new(options.IdempotencyEntries, ServingJson.Default.ScoreResponse);
        _assigned = new(options.IdempotencyEntries, ServingJson.Default.TemplateAssignment);
    }

    /// <summary>
    /// Scores the emails of one call and gives each answer's JSON (Contract 4), serialized once: the same bytes
    /// are remembered for repeats, so a repeat's answer is byte for byte the first. A bad field anywhere refuses
    /// the whole call before anything is scored or logged. An id already answered returns that answer; an id
    /// being scored by another call right now waits for it, so concurrent deliveries of one email log one exposure.
    /// </summary>
    /// <param name="emails">The emails.</param>
    /// <param name="durable">Whether to return only once the exposures are stored (else they are buffered and flushed shortly).</param>
    /// <param name="cancellationToken">Stops the call.</param>
    public async ValueTask<ServiceResult<byte[][]>> ScoreAsync(IReadOnlyList<ScoreRequest> emails, bool durable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(emails);
        for (int i = 0; i < emails.Count; i++)
        {
            if (Validate(emails[i], Item(emails, i)) is { } invalid)
            {
                return invalid;
            }
        }
        if (emails.Count > 1)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < emails.Count; i++)
            {
                if (emails[i].Id is { } id && !seen.Add(id))
                {
                    return new ServiceError(ServiceErrorReason.Invalid, "id", $"id '{id}' appears twice in the batch", i);
                }
            }
        }
        try
        {
            return await ScoreValidAsync(emails, durable, cancellationToken).ConfigureAwait(false);
        }
        catch (Refusal refusal)
        {
            return refusal.Error;
        }
    }

    /// <summary>An item's index for a refusal: none in a call of one email.</summary>
    private static int? Item<T>(IReadOnlyList<T> items, int index) => items.Count == 1 ? null : index;

    private async ValueTask<byte[][]> ScoreValidAsync(IReadOnlyList<ScoreRequest> requests, bool durable, CancellationToken ct)
    {
        var answers = new byte[requests.Count][];
        var ids = new string[requests.Count];
        var events = new List<LogEvent>(requests.Count);
        List<LogEvent>? bodies = null;
        List<(string Id, string Experiment, string Text, IReadOnlyList<ModelReference> Models)>? shadowed = null;
        List<(int Index, string Id, TaskCompletionSource<byte[]> Answer)>? claimed = null;
        List<(int Index, Task<byte[]> Answer)>? elsewhere = null;
        try
        {
            for (int i = 0; i < requests.Count; i++)
            {
                var r = requests[i];
                if (r.Id is { } id)
                {
                    if (_scored.GetJson(id) is { } earlier)
                    {
                        answers[i] = earlier;
                        continue;
                    }
                    var answer = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
                    var owner = _inFlight.GetOrAdd(id, answer.Task);
                    if (owner != answer.Task)
                    {
                        (elsewhere ??= []).Add((i, owner));
                        continue;
                    }
                    (claimed ??= []).Add((i, id, answer));
                    if (_scored.GetJson(id) is { } justAnswered)
                    {
                        answers[i] = justAnswered;
                        continue;
                    }
                }
                (var response, var scored, bool keepBody, var shadowModels) = await ScoreOneAsync(r, Item(requests, i), ct).ConfigureAwait(false);
                ids[i] = response.ScoringId;
                answers[i] = JsonSerializer.SerializeToUtf8Bytes(response, ServingJson.Default.ScoreResponse);
                if (scored is not null)
                {
                    events.Add(scored);
                    if (keepBody && _bodies is not null)
                    {
                        (bodies ??= []).Add(BodyOf(scored, r));
                    }
                    if (shadowModels is { Count: > 0 } && _shadows is not null)
                    {
                        (shadowed ??= []).Add((scored.Id, scored.Experiment!, TextOf(r), shadowModels));
                    }
                }
            }
            await LogAsync(events, durable, ct).ConfigureAwait(false);
            if (bodies is not null)
            {
                await LogAsync(_bodies!, bodies, durable, ct).ConfigureAwait(false);
            }
            for (int i = 0; i < ids.Length; i++)
            {
                if (ids[i] is { } scoredId)
                {
                    _scored.Set(scoredId, answers[i]);
                }
            }
            // Only once the exposures are logged: a shadow prediction never stands without the exposure it shadows.
            foreach (var (id, experiment, text, models) in shadowed ?? [])
            {
                _shadows!.Offer(id, experiment, text, models);
            }
            foreach (var (index, _, answer) in claimed ?? [])
            {
                answer.SetResult(answers[index]);
            }
        }
        catch (Exception ex)
        {
            foreach (var (_, _, answer) in claimed ?? [])
            {
                answer.TrySetException(ex);
                _ = answer.Task.Exception;
            }
            throw;
        }
        finally
        {
            foreach (var (_, id, _) in claimed ?? [])
            {
                _inFlight.TryRemove(id, out _);
            }
        }
        foreach (var (index, answer) in elsewhere ?? [])
        {
            answers[index] = await answer.WaitAsync(ct).ConfigureAwait(false);
        }
        return answers;
    }

    /// <summary>Validates and logs outcomes; each is attributed to its experiment when the caller names it or this instance scored it. Gives how many were recorded.</summary>
    /// <param name="outcomes">The outcomes.</param>
    /// <param name="durable">Whether to return only once they are stored.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    public async Task<ServiceResult<int>> RecordOutcomesAsync(IReadOnlyList<OutcomeRequest> outcomes, bool durable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var now = _time.GetUtcNow();
        var events = new List<LogEvent>(outcomes.Count);
        for (int i = 0; i < outcomes.Count; i++)
        {
            var o = outcomes[i];
            int? item = Item(outcomes, i);
            if ((Required(o.ScoringId, "scoringId", 128, item) ?? Optional(o.TrueIntent, "trueIntent", 128, item) ?? Optional(o.Experiment, "experiment", 128, item)) is { } invalid)
            {
                return invalid;
            }
            if (o.HandlingSeconds is { } h && (!double.IsFinite(h) || h < 0))
            {
                return new ServiceError(ServiceErrorReason.Invalid, "handlingSeconds", "handlingSeconds must be a finite number ≥ 0", item);
            }
            if (o.TrueIntent is null && o.HandlingSeconds is null)
            {
                return new ServiceError(ServiceErrorReason.Invalid, "trueIntent", "an outcome needs trueIntent or handlingSeconds", item);
            }
            string? experiment = o.Experiment;
            if (experiment is null && _scored.GetJson(o.ScoringId!) is { } scored)
            {
                experiment = JsonSerializer.Deserialize(scored, ServingJson.Default.AnsweredExperiment)?.Experiment;
            }
            events.Add(new OutcomeEvent(o.ScoringId!, now, o.TrueIntent, o.HandlingSeconds, experiment));
        }
        await LogAsync(events, durable, cancellationToken).ConfigureAwait(false);
        return events.Count;
    }

    /// <summary>Assigns a message's unit to a template arm and logs the exposure (once per message id).</summary>
    /// <param name="request">The message.</param>
    /// <param name="durable">Whether to return only once the exposure is stored.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    public async Task<ServiceResult<TemplateAssignment>> AssignTemplateAsync(TemplateRequest request, bool durable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if ((Required(request.Experiment, "experiment", 128, null) ?? Required(request.Unit, "unit", 256, null) ?? Required(request.MessageId, "messageId", 128, null)) is { } invalid)
        {
            return invalid;
        }
        if (_assigned.Get(request.MessageId!) is { } earlier)
        {
            return earlier;
        }
        var a = await _assigner.AssignAsync(request.Experiment!, request.Unit!, cancellationToken).ConfigureAwait(false);
        if (a is null)
        {
            return new ServiceError(ServiceErrorReason.NotFound, "experiment", $"there is no experiment '{request.Experiment}'");
        }
        if (a.Phase is ExperimentPhase.AA or ExperimentPhase.AB)
        {
            await LogAsync([new AssignedEvent(request.MessageId!, _time.GetUtcNow(), request.Experiment!, a.Arm, request.Unit!)], durable, cancellationToken).ConfigureAwait(false);
        }
        var result = new TemplateAssignment(request.MessageId!, request.Experiment!, a.Arm, a.Serves);
        _assigned.Set(request.MessageId!, result);
        return result;
    }

    /// <summary>Scores a reply with the default (champion) model and logs it.</summary>
    /// <param name="request">The reply.</param>
    /// <param name="durable">Whether to return only once the reply is stored.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    public async Task<ServiceResult<ReplyResponse>> RecordReplyAsync(ReplyRequest request, bool durable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if ((Required(request.MessageId, "messageId", 128, null) ?? Required(request.Body, "body", _options.MaxEmailChars, null) ?? Optional(request.Experiment, "experiment", 128, null)) is { } invalid)
        {
            return invalid;
        }
        try
        {
            var model = await ChampionAsync(null, "body", null, cancellationToken).ConfigureAwait(false);
            var score = await ScoreTextAsync(model, request.Body!, "model", null, cancellationToken).ConfigureAwait(false);
            string? experiment = request.Experiment ?? _assigned.Get(request.MessageId!)?.Experiment;
            await LogAsync([new ReplyEvent(request.MessageId!, _time.GetUtcNow(), score.Label, experiment)], durable, cancellationToken).ConfigureAwait(false);
            return new ReplyResponse(request.MessageId!, score.Label, score.Confidence, score.Model);
        }
        catch (Refusal refusal)
        {
            return refusal.Error;
        }
    }

    private async ValueTask<(ScoreResponse Response, LogEvent? Event, bool KeepBody, List<ModelReference>? Shadows)> ScoreOneAsync(ScoreRequest r, int? item, CancellationToken ct)
    {
        long start = Stopwatch.GetTimestamp();
        using var activity = ServingTelemetry.Source.StartActivity("score");
        string id = r.Id ?? Guid.NewGuid().ToString("N");
        ArmAssignment? assignment = null;
        ModelReference model;
        string? slot = null;
        if (r.Experiment is { } experiment)
        {
            assignment = await _assigner.AssignAsync(experiment, r.Unit ?? id, ct).ConfigureAwait(false)
                ?? throw new Refusal(new(ServiceErrorReason.NotFound, "experiment", $"there is no experiment '{experiment}'", item));
            model = ModelReference.Parse(assignment.Serves);
        }
        else if (r.Model is { } named)
        {
            model = ModelReference.TryParse(named, out var parsed) ? parsed : throw new Refusal(new(ServiceErrorReason.Invalid, "model", $"'{named}' is not name or name@version", item));
        }
        else
        {
            model = await ChampionAsync(r.Slot, "slot", item, ct).ConfigureAwait(false);
            slot = r.Slot ?? _options.DefaultSlot;
        }
        string field = r.Experiment is null ? "model" : "experiment";
        string text = TextOf(r);
        bool fallback = false;
        IntentScore score;
        if (_gpu is not null && await _targets.IsGpuAsync(model, ct).ConfigureAwait(false))
        {
            var remote = await _gpu.ScoreAsync(model, text, ct).ConfigureAwait(false);
            if (remote.Score is { } scoredRemotely)
            {
                score = scoredRemotely;
            }
            else
            {
                var instead = FallbackModel(assignment, field, item);
                _logger.LogWarning("{Model} unavailable, scored with {Fallback}: {Reason}", model, instead, remote.Failure);
                ServingTelemetry.GpuFallbacks.Add(1, new KeyValuePair<string, object?>("model", model.ToString()));
                score = await ScoreTextAsync(instead, text, field, item, ct).ConfigureAwait(false);
                fallback = true;
            }
        }
        else
        {
            score = await ScoreTextAsync(model, text, field, item, ct).ConfigureAwait(false);
        }
        double latency = Math.Round(Stopwatch.GetElapsedTime(start).TotalMilliseconds, 3);
        ServingTelemetry.ScoreDuration.Record(latency,
            new KeyValuePair<string, object?>("experiment", r.Experiment), new("arm", assignment?.Arm), new("model", score.Model));
        var byModel = new KeyValuePair<string, object?>("model", score.Model);
        ServingTelemetry.Predictions.Add(1, byModel, new("intent", score.Label));
        ServingTelemetry.Confidence.Record(score.Confidence, byModel);
        ServingTelemetry.Window.Add(score.Model, score.Label, score.Confidence);
        activity?.SetTag("verdict.experiment", r.Experiment);
        activity?.SetTag("verdict.arm", assignment?.Arm);
        activity?.SetTag("verdict.model", score.Model);
        var response = new ScoreResponse(id, score.Label, score.Confidence, new LabelProbabilities(score.Labels, score.Probabilities), r.Experiment, assignment?.Arm, score.Model, latency);
        // An experiment's exposure, or what a slot's champion answered (for drift and retraining); nothing for a named model.
        LogEvent? logged = assignment is { Phase: ExperimentPhase.AA or ExperimentPhase.AB }
            ? new ScoredEvent(id, _time.GetUtcNow(), assignment.Experiment, assignment.Arm, r.Unit ?? id, score.Model, score.Label,
                Math.Clamp(Shortest(score.Confidence), 0, 1), assignment.Phase == ExperimentPhase.AA ? EventPhase.AA : EventPhase.AB, latency) { Fallback = fallback }
            : slot is not null
                ? new ServedEvent(id, _time.GetUtcNow(), slot, score.Model, score.Label, Math.Clamp(Shortest(score.Confidence), 0, 1), latency)
                : null;
        bool keep = logged is ScoredEvent ? assignment!.KeepBodies : logged is ServedEvent && _options.KeepBodiesForSlots.Contains(slot!);
        return (response, logged, keep, logged is ScoredEvent ? ShadowsOf(assignment!, score.Model) : null);
    }

    /// <summary>The double that a float's shortest decimal form denotes (0.41603243, not 0.41603243350982666), so the log says what the answer said.</summary>
    internal static double Shortest(float value)
    {
        Span<char> digits = stackalloc char[32];
        return value.TryFormat(digits, out int written, default, CultureInfo.InvariantCulture)
            ? double.Parse(digits[..written], NumberStyles.Float, CultureInfo.InvariantCulture)
            : value;
    }

    private async ValueTask<IntentScore> ScoreTextAsync(ModelReference model, string text, string modelField, int? item, CancellationToken ct)
    {
        try
        {
            return await _scorer.ScoreAsync(model, text, ct).ConfigureAwait(false);
        }
        catch (ScoringException ex) when (ex.Error == ScoringError.ModelNotFound)
        {
            throw new Refusal(new(ServiceErrorReason.NotFound, modelField, $"model '{model}' is not published", item));
        }
    }

    /// <summary>The model that answers when the GPU service cannot: the experiment's control arm (from the assigner's cached definition), else the default model.</summary>
    private ModelReference FallbackModel(ArmAssignment? assignment, string field, int? item) =>
        assignment?.ControlServes is { } control ? ModelReference.Parse(control)
        : _options.DefaultModel is { } name ? name
        : throw new Refusal(new(ServiceErrorReason.Unavailable, field, "the GPU scoring service is unavailable and there is no control or default model to fall back on", item));

    /// <summary>
    /// The champion of <paramref name="slot"/> (or of the default slot); the default model when the default slot has no
    /// champion yet or cannot be read. A slot named by the caller that has no champion is refused, naming the field.
    /// </summary>
    private async ValueTask<ModelReference> ChampionAsync(string? slot, string field, int? item, CancellationToken ct)
    {
        string? name = slot ?? _options.DefaultSlot;
        if (name is not null && _slots is not null)
        {
            string? champion = null;
            try
            {
                champion = await _slots.ChampionAsync(name, ct).ConfigureAwait(false);
            }
            catch (Azure.RequestFailedException ex) when (slot is null && _options.DefaultModel is not null)
            {
                _logger.LogWarning("Slot {Slot} could not be read ({Reason}); the default model answers", name, ex.Message);
            }
            if (champion is not null && ModelReference.TryParse(champion, out var model))
            {
                return model;
            }
            if (slot is not null)
            {
                throw new Refusal(new(ServiceErrorReason.NotFound, "slot", $"slot '{slot}' has no champion: no promotion has written it", item));
            }
        }
        return _options.DefaultModel ?? throw new Refusal(new(ServiceErrorReason.Invalid, field == "slot" ? "experiment" : field, "name an experiment, a model or a slot: this service has no default slot with a champion or default model (Verdict:DefaultSlot, Verdict:DefaultModel)", item));
    }

    /// <summary>The experiment's shadow models, less the one that served the email.</summary>
    private static List<ModelReference>? ShadowsOf(ArmAssignment assignment, string served)
    {
        if (assignment.ShadowModels.Count == 0)
        {
            return null;
        }
        var models = new List<ModelReference>(assignment.ShadowModels.Count);
        foreach (string name in assignment.ShadowModels)
        {
            if (name != served && ModelReference.TryParse(name, out var model))
            {
                models.Add(model);
            }
        }
        return models;
    }

    /// <summary>What is scored: the subject, a line break and the body, or the body alone.</summary>
    private static string TextOf(ScoreRequest r) => r.Subject is null ? r.Body! : r.Subject + "\n" + r.Body;

    /// <summary>The email's text, to keep beside the event that logged its scoring.</summary>
    private static BodyEvent BodyOf(LogEvent logged, ScoreRequest r)
    {
        string text = TextOf(r);
        return logged is ServedEvent served ? new BodyEvent(served.Id, served.Ts, text, null, served.Slot) : new BodyEvent(logged.Id, logged.Ts, text, logged.Experiment, null);
    }

    private ValueTask LogAsync(List<LogEvent> events, bool durable, CancellationToken ct) => LogAsync(_log, events, durable, ct);

    private static async ValueTask LogAsync(EventLogWriter log, List<LogEvent> events, bool durable, CancellationToken ct)
    {
        if (events.Count == 0)
        {
            return;
        }
        if (durable)
        {
            await log.AppendAsync(events, ct).ConfigureAwait(false);
            return;
        }
        foreach (var e in events)
        {
            await log.EnqueueAsync(e, ct).ConfigureAwait(false);
        }
    }

    private ServiceError? Validate(ScoreRequest r, int? item)
    {
        if ((Optional(r.Subject, "subject", _options.MaxEmailChars, item) ?? Required(r.Body, "body", int.MaxValue, item)) is { } invalid)
        {
            return invalid;
        }
        int length = r.Body!.Length + (r.Subject?.Length ?? 0);
        if (length > _options.MaxEmailChars)
        {
            return new ServiceError(ServiceErrorReason.TooLarge, "body", $"the email has {length} characters; the limit is {_options.MaxEmailChars}", item);
        }
        if (r.Slot is not null && (r.Experiment is not null || r.Model is not null))
        {
            return new ServiceError(ServiceErrorReason.Invalid, "slot", "name an experiment, a model or a slot, not several", item);
        }
        return Optional(r.Id, "id", 128, item) ?? Optional(r.Unit, "unit", 256, item) ?? Optional(r.Experiment, "experiment", 128, item) ?? Optional(r.Model, "model", 260, item)
            ?? (r.Slot is { Length: > 0 } named && !ServedEvent.IsSlotName(named)
                ? new ServiceError(ServiceErrorReason.Invalid, "slot", "slot must be 1 to 63 letters, digits, '-', '_' or '.', starting with a letter or digit", item)
                : Optional(r.Slot, "slot", 63, item));
    }

    /// <summary>An optional text field: absent is fine; empty or over <paramref name="maxLength"/> is refused.</summary>
    private static ServiceError? Optional(string? value, string field, int maxLength, int? item) => value switch
    {
        null => null,
        { Length: 0 } => new(ServiceErrorReason.Invalid, field, $"{field} must not be empty", item),
        { Length: var n } when n > maxLength => new(ServiceErrorReason.Invalid, field, $"{field} has {n} characters; the limit is {maxLength}", item),
        _ => null,
    };

    private static ServiceError? Required(string? value, string field, int maxLength, int? item) =>
        value is null ? new(ServiceErrorReason.Invalid, field, $"{field} is required", item) : Optional(value, field, maxLength, item);

    /// <summary>A refusal found deep in a call, carried to the public method that returns it; it never leaves this class.</summary>
    private sealed class Refusal(ServiceError error) : Exception(error.Message)
    {
        public ServiceError Error { get; } = error;
    }
}
