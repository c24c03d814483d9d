using System.Collections.Concurrent;
using Verdict.Experimentation.Analysis;

namespace Verdict.Functions;

/// <summary>
/// The last analysis of each experiment, kept for <see cref="FunctionsOptions.ReportMaxAge"/>. An analysis
/// reads the experiment's whole log, so it runs at most once per interval per experiment however often the
/// report is opened, and callers that arrive while it runs share it. A failed analysis is not kept.
/// </summary>
internal sealed class ReportCache(FunctionsOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>The experiment's analysis and when it started: the kept one while it runs or is young enough, else a fresh one from <paramref name="analyse"/>.</summary>
    /// <remarks><paramref name="ct"/> stops this caller's wait, never the analysis others may share.</remarks>
    public async Task<(AnalysisResult Result, DateTimeOffset AsOf)> GetAsync(string experiment, Func<Task<AnalysisResult>> analyse, CancellationToken ct)
    {
        while (true)
        {
            var now = time.GetUtcNow();
            if (_entries.TryGetValue(experiment, out var kept) && Usable(kept, now))
            {
                return (await kept.Analysis.WaitAsync(ct).ConfigureAwait(false), kept.AsOf);
            }
            var start = new Task<Task<AnalysisResult>>(analyse);
            var fresh = new Entry(start.Unwrap(), now);
            if (kept is null ? _entries.TryAdd(experiment, fresh) : _entries.TryUpdate(experiment, fresh, kept))
            {
                start.Start(TaskScheduler.Default);
                return (await fresh.Analysis.WaitAsync(ct).ConfigureAwait(false), fresh.AsOf);
            }
            // Another caller started one meanwhile: look again, and share it.
        }
    }

    /// <summary>A running analysis is shared whatever its age; a finished one only while young enough, and a failed one never.</summary>
    private bool Usable(Entry entry, DateTimeOffset now) =>
        !entry.Analysis.IsCompleted || (entry.Analysis.IsCompletedSuccessfully && now - entry.AsOf < options.ReportMaxAge);

    private sealed record Entry(Task<AnalysisResult> Analysis, DateTimeOffset AsOf);
}
