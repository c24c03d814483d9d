using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Azure.Storage.Queues;
using Verdict.Experimentation.Events;
using Verdict.Scoring.Hosting;
using Verdict.Serving;

namespace Verdict.Functions;

/// <summary>What became of one queue message.</summary>
internal enum QueueOutcome
{
    /// <summary>Handled; delete it (and send the output, if any).</summary>
    Succeeded,

    /// <summary>Failed for now; leave it for another delivery.</summary>
    Retry,

    /// <summary>Moved to <c>&lt;queue&gt;-poison</c> with the reason; delete it.</summary>
    Poisoned,
}

/// <summary>The result of handling a queue message: the outcome, the output for <c>score-results</c> (an answer's JSON), and the reason of a failure.</summary>
internal sealed record QueueResult(QueueOutcome Outcome, byte[]? Output = null, string? Reason = null);

/// <summary>
/// What a queue message's text comes to, whatever delivered it: the Functions host (through
/// <see cref="QueueFunctions"/>) or the local listeners. Every message is handled with durable logging, so it is
/// deleted only once its events are stored. A message that can never succeed (not JSON, a bad field) goes to
/// the poison queue at once; one that may succeed later (a model not yet published, the GPU service down, a
/// storage fault) is retried until <c>maxDequeueCount</c>, then poisoned. The poison entry records the reason,
/// so the app writes it itself rather than leaving it to the host.
/// </summary>
internal sealed class QueueHandler(EmailService service, QueueClients queues, QueueSettings settings, FunctionsOptions options, TimeProvider time, ILogger<QueueHandler> log)
{
    /// <summary>The queues the app consumes.</summary>
    public static readonly IReadOnlyList<string> Queues = [ScoreRequests, Outcomes, Replies];

    /// <summary>Emails to score.</summary>
    public const string ScoreRequests = "score-requests";

    /// <summary>Outcomes of scored emails.</summary>
    public const string Outcomes = "outcomes";

    /// <summary>Replies to template messages.</summary>
    public const string Replies = "replies";

    /// <summary>Where score results go.</summary>
    public const string ResultQueue = "score-results";

    public async Task<QueueResult> HandleAsync(string queue, string text, long dequeueCount, DateTimeOffset? inserted, CancellationToken ct)
    {
        using var activity = Telemetry.Source.StartActivity("queue " + queue, ActivityKind.Consumer);
        activity?.SetTag("messaging.destination.name", queue);
        activity?.SetTag("messaging.message.delivery_count", dequeueCount);
        if (inserted is { } sent)
        {
            Telemetry.QueueLag.Record(Math.Max(0, (time.GetUtcNow() - sent).TotalSeconds), new KeyValuePair<string, object?>("queue", queue));
        }
        QueueResult result;
        try
        {
            result = new QueueResult(QueueOutcome.Succeeded, await RunAsync(queue, Parse(text), ct).ConfigureAwait(false));
        }
        catch (RequestProblem problem) when (!problem.MayPassLater)
        {
            result = await PoisonAsync(queue, text, dequeueCount, $"{problem.Field}: {problem.Message}", ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            string reason = ex is RequestProblem later ? $"{later.Field}: {later.Message}" : $"{ex.GetType().Name}: {ex.Message}";
            result = dequeueCount >= settings.MaxDequeueCount
                ? await PoisonAsync(queue, text, dequeueCount, $"failed {dequeueCount} deliveries; last: {reason}", ct).ConfigureAwait(false)
                : new QueueResult(QueueOutcome.Retry, Reason: reason);
        }
        activity?.SetTag("verdict.queue.result", result.Outcome.ToString());
        if (result.Outcome != QueueOutcome.Succeeded)
        {
            activity?.SetStatus(ActivityStatusCode.Error, result.Reason);
        }
        return Record(queue, dequeueCount, result);
    }

    private async Task<byte[]?> RunAsync(string queue, JsonElement message, CancellationToken ct)
    {
        switch (queue)
        {
            case ScoreRequests:
                return RequestProblem.ValueOf(await service.ScoreAsync([RequestReader.Score(RequestReader.Object(message), "")], durable: true, ct).ConfigureAwait(false), array: false)[0];
            case Outcomes:
                var outcomes = RequestReader.ObjectOrArray(message, options.MaxBatch).ConvertAll(o => RequestReader.Outcome(o.Item, o.Path));
                RequestProblem.ValueOf(await service.RecordOutcomesAsync(outcomes, durable: true, ct).ConfigureAwait(false), message.ValueKind == JsonValueKind.Array);
                return null;
            case Replies:
                RequestProblem.ValueOf(await service.RecordReplyAsync(RequestReader.Reply(RequestReader.Object(message)), durable: true, ct).ConfigureAwait(false), array: false);
                return null;
            default:
                throw new ArgumentOutOfRangeException(nameof(queue), queue, "not a queue of this app");
        }
    }

    private static JsonElement Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new RequestProblem("$", "the message is empty; send a JSON object");
        }
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new RequestProblem("$", $"the message is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1})");
        }
    }

    /// <summary>
    /// Poisons a message that cannot even be read (its text is not valid for the queue's encoding): the entry
    /// keeps the text as it arrived, with the reason.
    /// </summary>
    public async Task<QueueResult> RejectAsync(string queue, string raw, long dequeueCount, string reason, CancellationToken ct)
    {
        return Record(queue, dequeueCount, await PoisonAsync(queue, raw, dequeueCount, reason, ct).ConfigureAwait(false));
    }

    /// <summary>Counts what became of a message, and says why when it was not handled.</summary>
    private QueueResult Record(string queue, long dequeueCount, QueueResult result)
    {
        Telemetry.QueueMessages.Add(1, new KeyValuePair<string, object?>("queue", queue), new("result", result.Outcome.ToString().ToLowerInvariant()));
        if (result.Outcome != QueueOutcome.Succeeded)
        {
            log.LogWarning("{Queue} message, delivery {DequeueCount}: {Outcome}: {Reason}", queue, dequeueCount, result.Outcome, result.Reason);
        }
        return result;
    }

    /// <summary>Sends the message with its reason to the poison queue; if that fails too, the message is retried instead.</summary>
    private async Task<QueueResult> PoisonAsync(string queue, string text, long dequeueCount, string reason, CancellationToken ct)
    {
        try
        {
            var poison = await queues.GetAsync(queue + "-poison", ct).ConfigureAwait(false);
            await poison.SendMessageAsync(QueueMessageText.Encode(PoisonEntry.ToJson(reason, queue, dequeueCount, time.GetUtcNow(), text), settings.Base64), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            return new QueueResult(QueueOutcome.Retry, Reason: $"{reason} (and the poison queue could not be written: {ex.Message})");
        }
        Telemetry.Poisoned.Add(1, new KeyValuePair<string, object?>("queue", queue));
        return new QueueResult(QueueOutcome.Poisoned, Reason: reason);
    }
}

/// <summary>
/// Queue clients by name, each created in storage once. They send and receive text as it is on the wire:
/// callers encode and decode with <see cref="QueueMessageText"/>, so a message that is not valid for the
/// configured encoding reaches the app as text to poison instead of failing the receive call.
/// </summary>
internal sealed class QueueClients(StorageAccount storage)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<QueueClient>>> clients = new(StringComparer.Ordinal);

    public Task<QueueClient> GetAsync(string name, CancellationToken ct) =>
        clients.GetOrAdd(name, n => new Lazy<Task<QueueClient>>(() => CreateAsync(n, ct))).Value;

    private async Task<QueueClient> CreateAsync(string name, CancellationToken ct)
    {
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };
        var client = storage.Credential is null
            ? new QueueClient(storage.ConnectionString, name, queueOptions)
            : new QueueClient(storage.QueueUri(name), storage.Credential, queueOptions);
        try
        {
            await client.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
        }
        catch
        {
            clients.TryRemove(name, out _);
            throw;
        }
        return client;
    }
}
