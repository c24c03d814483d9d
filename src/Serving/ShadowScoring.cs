using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Verdict.Experimentation.Events;
using Verdict.Scoring;
using Verdict.Scoring.Hosting;

namespace Verdict.Serving;

/// <summary>
/// Scores served emails again with their experiment's shadow models, after the answers are sent: the serving call only
/// hands the text over (a bounded queue, no waiting), and <see cref="RunAsync"/> scores and logs one <c>shadow</c> event
/// per shadow prediction. A GPU-target model is scored on the GPU service, with no fallback: a shadow that cannot be
/// scored is counted (<c>verdict.shadow.failed</c>), not replaced. When the queue is full the email goes unshadowed
/// and is counted (<c>verdict.shadow.dropped</c>): shadowing never slows or fails serving.
/// </summary>
public sealed class ShadowScoring
{
    private readonly IIntentScorer _scorer;
    private readonly IGpuScorer? _gpu;
    private readonly ModelTargets _targets;
    private readonly EventLogWriter _log;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<ShadowWork> _queue;

    /// <summary>Shadows scored with <paramref name="scoring"/> (or the GPU service) and logged to <paramref name="log"/>.</summary>
    /// <param name="scoring">The models and their scorer.</param>
    /// <param name="log">The event log.</param>
    /// <param name="capacity">The most emails waiting to be shadowed.</param>
    /// <param name="gpu">The GPU service's client, for GPU-target shadow models; null scores them here.</param>
    /// <param name="time">The clock for event timestamps.</param>
    /// <param name="logger">Where failures are reported.</param>
    public ShadowScoring(ScoringRuntime scoring, EventLogWriter log, int capacity, IGpuScorer? gpu, TimeProvider time, ILogger<ShadowScoring> logger)
    {
        ArgumentNullException.ThrowIfNull(scoring);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _scorer = scoring.Scorer;
        _gpu = gpu;
        _targets = new ModelTargets(scoring, time);
        _log = log ?? throw new ArgumentNullException(nameof(log));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _queue = Channel.CreateBounded<ShadowWork>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
    }

    /// <summary>Which models go to the GPU service; the serving path shares it, so the registry is listed once for both.</summary>
    internal ModelTargets Targets => _targets;

    /// <summary>Emails waiting to be shadowed.</summary>
    public int Pending => _queue.Reader.Count;

    /// <summary>Hands an email over to be shadowed; false (and counted) when the queue is full or closed.</summary>
    internal bool Offer(string id, string experiment, string text, IReadOnlyList<ModelReference> models)
    {
        if (_queue.Writer.TryWrite(new ShadowWork(id, experiment, text, models)))
        {
            return true;
        }
        ServingTelemetry.ShadowDropped.Add(1, new KeyValuePair<string, object?>("experiment", experiment));
        return false;
    }

    /// <summary>
    /// Scores and logs what is offered until <paramref name="cancellationToken"/> stops it; then shadows what is already
    /// queued (a host's shutdown drains it) and refuses the rest.
    /// </summary>
    /// <param name="cancellationToken">Stops taking new work.</param>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (_queue.Reader.TryRead(out var work))
                {
                    await ShadowAsync(work, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out var work))
        {
            await ShadowAsync(work, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task ShadowAsync(ShadowWork work, CancellationToken ct)
    {
        foreach (var model in work.Models)
        {
            try
            {
                long start = Stopwatch.GetTimestamp();
                IntentScore score;
                if (_gpu is not null && await _targets.IsGpuAsync(model, ct).ConfigureAwait(false))
                {
                    var remote = await _gpu.ScoreAsync(model, work.Text, ct).ConfigureAwait(false);
                    if (remote.Score is not { } scored)
                    {
                        Failed(work, model, remote.Failure);
                        continue;
                    }
                    score = scored;
                }
                else
                {
                    score = await _scorer.ScoreAsync(model, work.Text, ct).ConfigureAwait(false);
                }
                double latency = Math.Round(Stopwatch.GetElapsedTime(start).TotalMilliseconds, 3);
                ServingTelemetry.ShadowDuration.Record(latency, new KeyValuePair<string, object?>("model", score.Model));
                await _log.EnqueueAsync(new ShadowEvent(work.Id, _time.GetUtcNow(), work.Experiment, score.Model, score.Label,
                    Math.Clamp(EmailService.Shortest(score.Confidence), 0, 1), latency), ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Whatever goes wrong with one shadow prediction stays with it: the loop, and the app, go on.
                Failed(work, model, ex.Message);
            }
        }
    }

    private void Failed(ShadowWork work, ModelReference model, string? reason)
    {
        ServingTelemetry.ShadowFailed.Add(1, new KeyValuePair<string, object?>("model", model.ToString()));
        _logger.LogWarning("Shadow {Model} could not score {Id} of {Experiment}: {Reason}", model, work.Id, work.Experiment, reason);
    }

    private sealed record ShadowWork(string Id, string Experiment, string Text, IReadOnlyList<ModelReference> Models);
}
