using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace Verdict.Functions;

/// <summary>
/// Local mode's stand-in for the Functions host's queue triggers: polls the queue of every queue function
/// (<see cref="FunctionRoutes.Queues"/>) with the <c>host.json</c> settings (batch size, new-batch threshold,
/// polling back-off up to <c>maxPollingInterval</c>, <c>visibilityTimeout</c> between retries,
/// <c>maxDequeueCount</c> before poison) and calls the function with the message, as the host does. A
/// function's return value goes to its output queue (<c>score-results</c>) before the message is deleted; an
/// exception makes the message visible again after <c>visibilityTimeout</c>. Messages are received as raw
/// text and decoded by <c>messageEncoding</c> here: one that is not valid for it is poisoned at once with the
/// reason, as the host does, and nothing a message holds can stop the loop. Each message is handled on its
/// own task, so a slow one never holds up the others; one handled longer than half its lease has the lease
/// renewed. On shutdown it stops fetching and lets the messages in hand finish.
/// </summary>
internal sealed class LocalQueueListener(IServiceProvider services, QueueHandler handler, QueueClients queues, QueueSettings settings, FunctionsOptions options, TimeProvider time,
    ILogger<LocalQueueListener> log) : BackgroundService
{
    /// <summary>How long a fetched message stays hidden from other consumers while it is handled; renewed every half of it.</summary>
    private TimeSpan Lease => options.LocalQueueLease;

    private static readonly TimeSpan FirstPollDelay = TimeSpan.FromMilliseconds(50);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => !options.LocalQueues
        ? Task.CompletedTask
        : Task.WhenAll(FunctionRoutes.Queues().Select(f => Task.Run(() => ListenAsync(f, stoppingToken), CancellationToken.None)));

    private async Task ListenAsync(FunctionRoutes.QueueFunction function, CancellationToken stop)
    {
        string name = function.Queue;
        QueueClient queue;
        while (true)
        {
            try
            {
                queue = await queues.GetAsync(name, stop).ConfigureAwait(false);
                break;
            }
            catch (RequestFailedException ex)
            {
                log.LogWarning("queue {Queue} is not reachable yet: {Error}", name, ex.Message);
                if (!await PauseAsync(settings.MaxPollingInterval, stop).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        int inFlight = 0;
        using var finished = new SemaphoreSlim(0);
        var delay = FirstPollDelay;
        while (!stop.IsCancellationRequested)
        {
            if (Volatile.Read(ref inFlight) > settings.NewBatchThreshold)
            {
                try
                {
                    await finished.WaitAsync(stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                continue;
            }
            QueueMessage[] batch;
            try
            {
                batch = (await queue.ReceiveMessagesAsync(settings.BatchSize, Lease, stop).ConfigureAwait(false)).Value;
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (Exception ex) when (!stop.IsCancellationRequested)
            {
                // Storage is down or answered oddly: wait as for an empty queue and try again; the loop never ends on a fault.
                log.LogWarning("receiving from {Queue} failed: {Error}", name, ex.Message);
                batch = [];
            }
            if (batch.Length == 0)
            {
                if (!await PauseAsync(delay, stop).ConfigureAwait(false))
                {
                    break;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, settings.MaxPollingInterval.Ticks));
                continue;
            }
            delay = FirstPollDelay;
            foreach (var message in batch)
            {
                Interlocked.Increment(ref inFlight);
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await HandleAsync(function, queue, message).ConfigureAwait(false);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref inFlight);
                        finished.Release();
                    }
                }, CancellationToken.None);
            }
        }
        while (Volatile.Read(ref inFlight) > 0)
        {
            await finished.WaitAsync(TimeSpan.FromSeconds(1), CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Handles one message to the end, whatever the app's shutdown does, so nothing is left half-done.</summary>
    private async Task HandleAsync(FunctionRoutes.QueueFunction function, QueueClient queue, QueueMessage message)
    {
        var lease = new LeaseReceipt(message.MessageId, message.PopReceipt);
        try
        {
            string? output = null;
            Exception? failure = null;
            using (var handled = new CancellationTokenSource())
            {
                var renewal = RenewAsync(queue, lease, handled.Token);
                try
                {
                    if (QueueMessageText.TryDecode(message.MessageText, settings.Base64, out string text, out string reason))
                    {
                        output = await FunctionRoutes.InvokeAsync(services, function, QueuesModelFactory.QueueMessage(
                            message.MessageId, message.PopReceipt, text, message.DequeueCount, message.NextVisibleOn, message.InsertedOn, message.ExpiresOn)).ConfigureAwait(false);
                    }
                    else if ((await handler.RejectAsync(queue.Name, message.MessageText, message.DequeueCount, reason, CancellationToken.None).ConfigureAwait(false))
                        is { Outcome: QueueOutcome.Retry, Reason: var unwritten })
                    {
                        // The poison queue could not be written: keep the message rather than delete it unrecorded.
                        throw new QueueRetryException(unwritten ?? reason);
                    }
                }
                catch (Exception ex)
                {
                    failure = ex is System.Reflection.TargetInvocationException { InnerException: { } inner } ? inner : ex;
                }
                finally
                {
                    await handled.CancelAsync().ConfigureAwait(false);
                    await renewal.ConfigureAwait(false);
                }
            }
            if (failure is not null)
            {
                if (failure is not QueueRetryException)
                {
                    // A retry the handler asked for is logged there, with its reason; anything else is logged here.
                    string name = queue.Name, error = failure.Message;
                    log.LogWarning("{Queue} message {Id}: delivery {DequeueCount} failed ({Error}); visible again in {Delay}", name, message.MessageId,
                        message.DequeueCount, error, settings.VisibilityTimeout);
                }
                await queue.UpdateMessageAsync(lease.MessageId, lease.PopReceipt, visibilityTimeout: settings.VisibilityTimeout).ConfigureAwait(false);
                return;
            }
            if (output is not null && function.Output is { } target)
            {
                var results = await queues.GetAsync(target, CancellationToken.None).ConfigureAwait(false);
                await results.SendMessageAsync(QueueMessageText.Encode(output, settings.Base64)).ConfigureAwait(false);
            }
            await queue.DeleteMessageAsync(lease.MessageId, lease.PopReceipt).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Storage failed (or its retries ran out): the message reappears after its lease and is handled
            // again; scoring is idempotent by id.
            log.LogWarning("{Queue} message {Id}: storage failed ({Error}); it will be delivered again", queue.Name, message.MessageId, ex.Message);
        }
    }

    /// <summary>
    /// Keeps a message hidden while it is handled: every half lease, another lease. An update in flight when the
    /// handler finishes is awaited, not cancelled, so the pop receipt the message is deleted with is always the latest.
    /// </summary>
    private async Task RenewAsync(QueueClient queue, LeaseReceipt lease, CancellationToken handled)
    {
        while (true)
        {
            try
            {
                await Task.Delay(Lease / 2, time, handled).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                var renewed = await queue.UpdateMessageAsync(lease.MessageId, lease.PopReceipt, visibilityTimeout: Lease, cancellationToken: CancellationToken.None).ConfigureAwait(false);
                lease.PopReceipt = renewed.Value.PopReceipt;
                Telemetry.LeaseRenewals.Add(1, new KeyValuePair<string, object?>("queue", queue.Name));
            }
            catch (RequestFailedException ex)
            {
                log.LogWarning("{Queue} message {Id}: its lease could not be renewed ({Error}); it may be delivered again", queue.Name, lease.MessageId, ex.Message);
                return;
            }
        }
    }

    /// <summary>The message a handler holds and its current pop receipt, which every renewal changes.</summary>
    private sealed class LeaseReceipt(string messageId, string popReceipt)
    {
        public string MessageId { get; } = messageId;

        public string PopReceipt { get; set; } = popReceipt;
    }

    private static async Task<bool> PauseAsync(TimeSpan delay, CancellationToken stop)
    {
        try
        {
            await Task.Delay(delay, stop).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
