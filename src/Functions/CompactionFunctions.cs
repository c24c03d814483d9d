using Microsoft.Azure.Functions.Worker;
using Verdict.Experimentation.Events;

namespace Verdict.Functions;

/// <summary>
/// The timer-triggered function that compacts the event log's closed days (<see cref="LogCompactor"/>, docs/compaction.md):
/// every hour under the Functions host; locally <see cref="LocalCompaction"/> calls the same method on a timer.
/// </summary>
internal sealed partial class CompactionFunctions(LogCompactor compactor, ILogger<CompactionFunctions> log)
{
    /// <summary>Every hour, at minute 20 (NCRONTAB: second minute hour day month day-of-week).</summary>
    public const string Schedule = "0 20 * * * *";

    [Function("compact-log")]
    public Task Run([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken) => RunOnceAsync(cancellationToken);

    /// <summary>One pass; each day compacted is logged.</summary>
    public async Task<IReadOnlyList<CompactedDay>> RunOnceAsync(CancellationToken cancellationToken)
    {
        var days = await compactor.RunOnceAsync(cancellationToken).ConfigureAwait(false);
        foreach (var day in days)
        {
            LogDay(day.Partition, day.Day, day.Compacted ?? "(none)", day.Lines, day.SourceBytes, day.CompactedBytes, day.Deleted, day.KeptChanged);
        }
        return days;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Compaction: {Partition} {Day} → {Compacted}: {Lines} lines, {SourceBytes} bytes → {CompactedBytes} bytes; {Deleted} hourly blobs deleted, {Kept} kept")]
    private partial void LogDay(string partition, DateOnly day, string compacted, long lines, long sourceBytes, long compactedBytes, int deleted, int kept);
}

/// <summary>Local mode's stand-in for the compaction timer: every <see cref="FunctionsOptions.CompactionInterval"/> (0 turns it off).</summary>
internal sealed class LocalCompaction(CompactionFunctions functions, FunctionsOptions options, TimeProvider time, ILogger<LocalCompaction> log)
    : LocalTimer(options.CompactionInterval, time, log)
{
    protected override Task RunOnceAsync(CancellationToken cancellationToken) => functions.RunOnceAsync(cancellationToken);
}
