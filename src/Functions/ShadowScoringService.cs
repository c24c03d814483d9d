using Verdict.Serving;

namespace Verdict.Functions;

/// <summary>Runs <see cref="ShadowScoring"/> for the app's lifetime; on shutdown it shadows what is already queued before the event log is flushed.</summary>
internal sealed class ShadowScoringService(ShadowScoring shadows) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => shadows.RunAsync(stoppingToken);
}
