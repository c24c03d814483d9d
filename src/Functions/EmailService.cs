using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Experiments;
using Verdict.Scoring;

namespace Verdict.Functions;

/// <summary>The answer to one scored email (Contract 4).</summary>
internal sealed record ScoreResponse(
    string ScoringId, string Intent, float Confidence, LabelProbabilities Probabilities,
    string? Experiment, string? Arm, string Model, double LatencyMs);

/// <summary>The one field of a remembered answer that the outcome route reads; the serializer skips the rest.</summary>
internal sealed record AnsweredExperiment(string? Experiment);

/// <summary>The arm a template experiment gave a message.</summary>
internal sealed record TemplateAssignment(string MessageId, string Experiment, string Arm, string Template);

/// <summary>A scored reply.</summary>
internal sealed record ReplyResponse(string MessageId, string Intent, float Confidence, string Model);

/// <summary>
/// What every route and queue does, whatever carried the request: assign the arm, score, log. Scoring is
/// idempotent by scoring id (a repeat returns the first answer and logs nothing new), and so is template
/// assignment by message id. Email text is scored and forgotten: it never reaches the log or a trace.
/// </summary>
internal sealed class EmailService(IIntentScorer scorer, IArmAssigner assigner, EventLogWriter log, FunctionsOptions options, TimeProvider time,
    ModelTargets targets, GpuScoringClient gpu, ILogger<EmailService> logger)
{
    private readonly RecentAnswers<ScoreResponse> _scored = new(options.IdempotencyEntries, FunctionsJson.Default.ScoreResponse);
    private readonly RecentAnswers<TemplateAssignment> _assigned = new(options.IdempotencyEntries, FunctionsJson.Default.TemplateAssignment);

    private readonly ConcurrentDictionary<string, Task<byte[]>> inFlight = new(StringComparer.Ordinal);

    /// <summary>
    /// Scores the emails of one call and gives each answer's JSON (Contract 4), serialized once: the same bytes
    /// are remembered for repeats and sent. A bad field anywhere refuses the whole call before anything is scored
    /// or logged. An id already answered returns that answer; an id being scored by another call right now waits
    /// for it, so concurrent deliveries of one email log one exposure.
    /// </summary>
    public async ValueTask<byte[][]> ScoreAsync(IReadOnlyList<(JsonElement Item, string Path)> items, bool durable, CancellationToken ct)
    {
        var requests = new EmailRequest[items.Count];
        for (int i = 0; i < requests.Length; i++)
        {
            requests[i] = ParseEmail(items[i].Item, items[i].Path);
        }
        var duplicate = requests.Length == 1 ? null : requests.Where(r => r.Id is not null).GroupBy(r => r.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new RequestProblem(duplicate.Last().Path + "id", $"id '{duplicate.Key}' appears twice in the batch");
        }
        var answers = new byte[requests.Length][];
        var ids = new string[requests.Length];
        var events = new List<LogEvent>(requests.Length);
        List<(int Index, string Id, TaskCompletionSource<byte[]> Answer)>? claimed = null;
        List<(int Index, Task<byte[]> Answer)>? elsewhere = null;
        try
        {
            for (int i = 0; i < requests.Length; i++)
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
                    var owner = inFlight.GetOrAdd(id, answer.Task);
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
                (var response, var scored) = await ScoreOneAsync(r, ct).ConfigureAwait(false);
                ids[i] = response.ScoringId;
                answers[i] = JsonSerializer.SerializeToUtf8Bytes(response, FunctionsJson.Default.ScoreResponse);
                if (scored is not null)
                {
                    events.Add(scored);
                }
            }
            await LogAsync(events, durable, ct).ConfigureAwait(false);
            for (int i = 0; i < ids.Length; i++)
            {
                if (ids[i] is { } scoredId)
                {
                    _scored.Set(scoredId, answers[i]);
                }
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
                inFlight.TryRemove(id, out _);
            }
        }
        foreach (var (index, answer) in elsewhere ?? [])
        {
            answers[index] = await answer.WaitAsync(ct).ConfigureAwait(false);
        }
        return answers;
    }

    /// <summary>Validates and logs outcomes; each is attributed to its experiment when the caller names it or this instance scored it.</summary>
    public async Task<int> RecordOutcomesAsync(IReadOnlyList<(JsonElement Item, string Path)> items, bool durable, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var events = new List<LogEvent>(items.Count);
        foreach (var (item, path) in items)
        {
            string id = RequestReader.RequiredString(item, "scoringId", path, 128);
            string? trueIntent = RequestReader.String(item, "trueIntent", path, 128);
            double? handling = RequestReader.Number(item, "handlingSeconds", path);
            string? experiment = RequestReader.String(item, "experiment", path, 128);
            if (handling is < 0)
            {
                throw new RequestProblem(path + "handlingSeconds", "handlingSeconds must be ≥ 0");
            }
            if (trueIntent is null && handling is null)
            {
                throw new RequestProblem(path + "trueIntent", "an outcome needs trueIntent or handlingSeconds");
            }
            if (experiment is null && _scored.GetJson(id) is { } scored)
            {
                experiment = JsonSerializer.Deserialize(scored, FunctionsJson.Default.AnsweredExperiment)?.Experiment;
            }
            events.Add(new OutcomeEvent(id, now, trueIntent, handling, experiment));
        }
        await LogAsync(events, durable, ct).ConfigureAwait(false);
        return events.Count;
    }

    /// <summary>Assigns a message's unit to a template arm and logs the exposure (once per message id).</summary>
    public async Task<TemplateAssignment> AssignTemplateAsync(JsonElement body, bool durable, CancellationToken ct)
    {
        string experiment = RequestReader.RequiredString(body, "experiment", "", 128);
        string unit = RequestReader.RequiredString(body, "unit", "", 256);
        string messageId = RequestReader.RequiredString(body, "messageId", "", 128);
        if (_assigned.Get(messageId) is { } earlier)
        {
            return earlier;
        }
        var a = await assigner.AssignAsync(experiment, unit, ct).ConfigureAwait(false)
            ?? throw new RequestProblem("experiment", $"there is no experiment '{experiment}'", StatusCodes.Status404NotFound);
        if (a.Phase is ExperimentPhase.AA or ExperimentPhase.AB)
        {
            await LogAsync([new AssignedEvent(messageId, time.GetUtcNow(), experiment, a.Arm, unit)], durable, ct).ConfigureAwait(false);
        }
        var result = new TemplateAssignment(messageId, experiment, a.Arm, a.Serves);
        _assigned.Set(messageId, result);
        return result;
    }

    /// <summary>Scores a reply with the default (champion) model and logs it.</summary>
    public async Task<ReplyResponse> RecordReplyAsync(JsonElement body, bool durable, CancellationToken ct)
    {
        string messageId = RequestReader.RequiredString(body, "messageId", "", 128);
        string text = RequestReader.RequiredString(body, "body", "", options.MaxEmailChars);
        string? experiment = RequestReader.String(body, "experiment", "", 128);
        var model = DefaultModel("body");
        var score = await ScoreTextAsync(model, text, "model", ct).ConfigureAwait(false);
        if (experiment is null && _assigned.Get(messageId) is { } assigned)
        {
            experiment = assigned.Experiment;
        }
        await LogAsync([new ReplyEvent(messageId, time.GetUtcNow(), score.Label, experiment)], durable, ct).ConfigureAwait(false);
        return new ReplyResponse(messageId, score.Label, score.Confidence, score.Model);
    }

    private async ValueTask<(ScoreResponse Response, ScoredEvent? Event)> ScoreOneAsync(EmailRequest r, CancellationToken ct)
    {
        long start = Stopwatch.GetTimestamp();
        using var activity = Telemetry.Source.StartActivity("score");
        string id = r.Id ?? Guid.NewGuid().ToString("N");
        ArmAssignment? assignment = null;
        ModelReference model;
        if (r.Experiment is { } experiment)
        {
            assignment = await assigner.AssignAsync(experiment, r.Unit ?? id, ct).ConfigureAwait(false)
                ?? throw new RequestProblem(r.Path + "experiment", $"there is no experiment '{experiment}'", StatusCodes.Status404NotFound);
            model = ModelReference.Parse(assignment.Serves);
        }
        else if (r.Model is { } named)
        {
            model = ModelReference.TryParse(named, out var parsed) ? parsed : throw new RequestProblem(r.Path + "model", $"'{named}' is not name or name@version");
        }
        else
        {
            model = DefaultModel(r.Path + "experiment");
        }
        string field = r.Path + (r.Experiment is null ? "model" : "experiment");
        bool fallback = false;
        IntentScore score;
        if (options.ScoringServiceUrl is not null && await targets.IsGpuAsync(model, ct).ConfigureAwait(false))
        {
            try
            {
                score = await gpu.ScoreAsync(model, r.Text, ct).ConfigureAwait(false);
            }
            catch (GpuUnavailableException ex)
            {
                var instead = FallbackModel(assignment, field);
                logger.LogWarning("{Model} unavailable, scored with {Fallback}: {Reason}", model, instead, ex.Message);
                Telemetry.GpuFallbacks.Add(1, new KeyValuePair<string, object?>("model", model.ToString()));
                score = await ScoreTextAsync(instead, r.Text, field, ct).ConfigureAwait(false);
                fallback = true;
            }
        }
        else
        {
            score = await ScoreTextAsync(model, r.Text, field, ct).ConfigureAwait(false);
        }
        double latency = Math.Round(Stopwatch.GetElapsedTime(start).TotalMilliseconds, 3);
        Telemetry.ScoreDuration.Record(latency,
            new KeyValuePair<string, object?>("experiment", r.Experiment), new("arm", assignment?.Arm), new("model", score.Model));
        activity?.SetTag("verdict.experiment", r.Experiment);
        activity?.SetTag("verdict.arm", assignment?.Arm);
        activity?.SetTag("verdict.model", score.Model);
        var response = new ScoreResponse(id, score.Label, score.Confidence, new LabelProbabilities(score.Labels, score.Probabilities), r.Experiment, assignment?.Arm, score.Model, latency);
        ScoredEvent? scored = assignment is { Phase: ExperimentPhase.AA or ExperimentPhase.AB }
            ? new ScoredEvent(id, time.GetUtcNow(), assignment.Experiment, assignment.Arm, r.Unit ?? id, score.Model, score.Label,
                Math.Clamp(Shortest(score.Confidence), 0, 1), assignment.Phase == ExperimentPhase.AA ? EventPhase.AA : EventPhase.AB, latency) { Fallback = fallback }
            : null;
        return (response, scored);
    }

    /// <summary>The double that a float's shortest decimal form denotes (0.41603243, not 0.41603243350982666), so the log says what the answer said.</summary>
    private static double Shortest(float value)
    {
        Span<char> digits = stackalloc char[32];
        return value.TryFormat(digits, out int written, default, System.Globalization.CultureInfo.InvariantCulture)
            ? double.Parse(digits[..written], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture)
            : value;
    }

    private async ValueTask<IntentScore> ScoreTextAsync(ModelReference model, string text, string modelField, CancellationToken ct)
    {
        try
        {
            return await scorer.ScoreAsync(model, text, ct).ConfigureAwait(false);
        }
        catch (ScoringException ex) when (ex.Error == ScoringError.ModelNotFound)
        {
            throw new RequestProblem(modelField, $"model '{model}' is not published", StatusCodes.Status404NotFound);
        }
    }

    /// <summary>The model that answers when the GPU service cannot: the experiment's control arm (from the assigner's cached definition), else the app's default model.</summary>
    private ModelReference FallbackModel(ArmAssignment? assignment, string field) =>
        assignment?.ControlServes is { } control ? ModelReference.Parse(control)
        : options.DefaultModel is { } name ? ModelReference.Parse(name)
        : throw new RequestProblem(field, "the GPU scoring service is unavailable and there is no control or default model to fall back on", StatusCodes.Status503ServiceUnavailable);

    private ModelReference DefaultModel(string field) =>
        options.DefaultModel is { } name ? ModelReference.Parse(name)
        : throw new RequestProblem(field, "name an experiment or a model: this app has no default model (Verdict:DefaultModel)");

    private async ValueTask LogAsync(List<LogEvent> events, bool durable, CancellationToken ct)
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

    private EmailRequest ParseEmail(JsonElement item, string path)
    {
        string? subject = RequestReader.String(item, "subject", path, options.MaxEmailChars);
        string body = RequestReader.RequiredString(item, "body", path, int.MaxValue);
        int length = body.Length + (subject?.Length ?? 0);
        if (length > options.MaxEmailChars)
        {
            throw new RequestProblem(path + "body", $"the email has {length} characters; the limit is {options.MaxEmailChars}", StatusCodes.Status413PayloadTooLarge);
        }
        return new EmailRequest(
            path,
            RequestReader.String(item, "id", path, 128),
            RequestReader.String(item, "unit", path, 256),
            RequestReader.String(item, "experiment", path, 128),
            RequestReader.String(item, "model", path, 260),
            subject is null ? body : subject + "\n" + body);
    }

    private sealed record EmailRequest(string Path, string? Id, string? Unit, string? Experiment, string? Model, string Text);
}
