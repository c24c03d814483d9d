using System.Text;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;

namespace Verdict.Functions;

/// <summary>
/// The queue-triggered functions: each binds the message (its text, as the host decoded it by
/// <c>messageEncoding</c>, and its <c>DequeueCount</c>) and hands it to <see cref="QueueHandler"/>. A score
/// request's answer is the function's output to <c>score-results</c>. A failure that may pass is thrown, so the
/// host makes the message visible again after <c>visibilityTimeout</c>; on the last delivery the handler poisons
/// it with the reason itself and the function returns, so the host's own poison move (which records no reason)
/// never happens. Locally <see cref="LocalQueueListener"/> calls the same methods.
/// </summary>
internal sealed class QueueFunctions(QueueHandler handler)
{
    [Function("queue-score-requests")]
    [QueueOutput(QueueHandler.ResultQueue)]
    public async Task<string?> ScoreRequests([QueueTrigger(QueueHandler.ScoreRequests)] QueueMessage message, CancellationToken cancellationToken) =>
        Output(await handler.HandleAsync(QueueHandler.ScoreRequests, message.MessageText, message.DequeueCount, message.InsertedOn, cancellationToken).ConfigureAwait(false));

    [Function("queue-outcomes")]
    public async Task Outcomes([QueueTrigger(QueueHandler.Outcomes)] QueueMessage message, CancellationToken cancellationToken) =>
        Output(await handler.HandleAsync(QueueHandler.Outcomes, message.MessageText, message.DequeueCount, message.InsertedOn, cancellationToken).ConfigureAwait(false));

    [Function("queue-replies")]
    public async Task Replies([QueueTrigger(QueueHandler.Replies)] QueueMessage message, CancellationToken cancellationToken) =>
        Output(await handler.HandleAsync(QueueHandler.Replies, message.MessageText, message.DequeueCount, message.InsertedOn, cancellationToken).ConfigureAwait(false));

    /// <summary>The output message of a handled message, none for a poisoned one; a retry is an exception, which is how a function asks the host for another delivery.</summary>
    private static string? Output(QueueResult result) => result.Outcome switch
    {
        QueueOutcome.Retry => throw new QueueRetryException(result.Reason ?? "failed"),
        _ => result.Output is { } output ? Encoding.UTF8.GetString(output) : null,
    };
}

/// <summary>A message failed in a way that may pass on another delivery; the host (or the local listener) delivers it again.</summary>
internal sealed class QueueRetryException(string reason) : Exception(reason);
