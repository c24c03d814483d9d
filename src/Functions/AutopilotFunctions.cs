using Microsoft.Azure.Functions.Worker;
using Verdict.Experimentation.Experiments;

namespace Verdict.Functions;

/// <summary>
/// The timer-triggered function that advances experiments by the rules they declare (<see cref="ExperimentAutopilot"/>):
/// every ten minutes under the Functions host; locally <see cref="LocalAutopilot"/> calls the same method on a timer.
/// </summary>
internal sealed partial class AutopilotFunctions(ExperimentAutopilot autopilot, ILogger<AutopilotFunctions> log)
{
    /// <summary>Every ten minutes, at second 0 (NCRONTAB: second minute hour day month day-of-week).</summary>
    public const string Schedule = "0 */10 * * * *";

    [Function("autopilot")]
    public Task Run([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken) => RunOnceAsync(cancellationToken);

    /// <summary>One pass; each action is logged (its analysis is in the audit log).</summary>
    public async Task<IReadOnlyList<AutopilotStep>> RunOnceAsync(CancellationToken cancellationToken)
    {
        var steps = await autopilot.RunOnceAsync(cancellationToken).ConfigureAwait(false);
        foreach (var step in steps.Where(s => s.Action != ExperimentAutopilot.None))
        {
            LogAction(step.Experiment, step.Action, step.Status, step.Detail);
        }
        return steps;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Autopilot: {Experiment} {Action} ({Status}): {Detail}")]
    private partial void LogAction(string experiment, string action, string status, string detail);
}

/// <summary>
/// Local mode's stand-in for the Functions host's timer trigger: calls <see cref="AutopilotFunctions.RunOnceAsync"/> every
/// <see cref="FunctionsOptions.AutopilotInterval"/> on the app's <see cref="TimeProvider"/> (0 turns it off).
/// </summary>
internal sealed class LocalAutopilot(AutopilotFunctions functions, FunctionsOptions options, TimeProvider time, ILogger<LocalAutopilot> log)
    : LocalTimer(options.AutopilotInterval, time, log)
{
    protected override Task RunOnceAsync(CancellationToken cancellationToken) => functions.RunOnceAsync(cancellationToken);
}

/// <summary>
/// A timer trigger in local mode: runs <see cref="RunOnceAsync"/> every interval on the app's <see cref="TimeProvider"/>
/// (0 turns it off). A pass that fails is logged and the next one runs on time: every pass is safe to retry.
/// </summary>
internal abstract partial class LocalTimer(TimeSpan interval, TimeProvider time, ILogger log) : BackgroundService
{
    private PeriodicTimer? _timer;

    /// <summary>One pass of the timer's work.</summary>
    protected abstract Task RunOnceAsync(CancellationToken cancellationToken);

    /// <summary>Starts the period when the host starts (not when the background task gets going), so the first pass is one interval after start.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (interval > TimeSpan.Zero)
        {
            _timer = new PeriodicTimer(interval, time);
        }
        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _timer?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_timer is not { } timer)
        {
            return;
        }
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await RunOnceAsync(stoppingToken).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // A failed pass (storage down, say) must not stop the timer; the next pass retries.
                catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    LogFailed(log, GetType().Name, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Timer} pass failed; the next one retries: {Reason}")]
    private static partial void LogFailed(ILogger logger, string timer, string reason);
}
