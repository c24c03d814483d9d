using Verdict.Experimentation.Events;

namespace Verdict.Experimentation.Analysis;

/// <summary>Entry point of <c>verdict analyze</c>: reads the event log, runs the tests, returns the verdict.</summary>
public static class ExperimentAnalysis
{
    /// <summary>Reads every source of the request and analyses one experiment.</summary>
    /// <exception cref="EventLogException">A path is missing, a line is malformed under <see cref="AnalysisRequest.Strict"/>, or the experiment is ambiguous.</exception>
    public static async Task<AnalysisResult> RunAsync(AnalysisRequest request, CancellationToken cancellationToken = default) =>
        Analyze(await ReadAsync(request, cancellationToken).ConfigureAwait(false), request);

    /// <summary>Checks the request and reads (and joins) every source it names.</summary>
    internal static async Task<EventLogReader> ReadAsync(AnalysisRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Alpha is <= 0 or > 0.5)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.Alpha, "alpha must be in (0, 0.5]");
        }
        if (request.Since > request.AsOf)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.Since, "since must not be after as-of");
        }
        // Every path is resolved before any is read: a missing one fails fast, and the join is sized for them all.
        var sources = new List<EventSource>();
        foreach (string path in request.Events)
        {
            sources.AddRange(await EventSources.ResolveAsync(path, new BlobAccess(request.BlobService, request.BlobConnectionString), request.Experiment, request.Since, request.AsOf, cancellationToken).ConfigureAwait(false));
        }
        var reader = new EventLogReader(request.Experiment, request.AsOf, request.Strict, request.PositiveIntents, request.Since, request.ExcludeFallbacks);
        reader.Reserve(sources.Sum(s => s.Length));
        await EventSources.ReadAsync(reader, sources, cancellationToken).ConfigureAwait(false);
        return reader;
    }

    internal static AnalysisResult Analyze(EventLogReader reader, AnalysisRequest request)
    {
        var observations = reader.Complete(request.Phase);
        ExperimentObservations? aa = null;
        if (observations.Phase == EventPhase.AB && reader.PhasesOf().Contains(EventPhase.AA))
        {
            aa = reader.Complete(EventPhase.AA);
        }
        return ExperimentAnalyzer.Analyze(observations, request, aa);
    }
}
