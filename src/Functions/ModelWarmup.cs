using Microsoft.Extensions.Options;
using Verdict.Experimentation.Experiments;
using Verdict.Scoring;
using Verdict.Scoring.Hosting;

namespace Verdict.Functions;

/// <summary>
/// Loads the models the app will serve before it takes traffic: the default model and every model arm of every
/// experiment that is serving (A/A, A/B, decided); a <c>target: gpu</c> model only when there is no GPU service (the
/// service loads its own; without one the app scores it itself). An ONNX Runtime
/// session for an encoder takes about a second to create; without this, the first email after a start or a scale-out
/// would wait for it. Loading is bounded by <c>Verdict:WarmupTimeout</c>; a model that fails to load is logged and
/// left to load on first use, so a bad package never stops the app.
/// </summary>
internal sealed partial class ModelWarmup(
    ScoringRuntime runtime, ExperimentStore experiments, FunctionsOptions options, TimeProvider time, ILogger<ModelWarmup> logger) : IHostedService
{
    /// <summary>How long listing experiments and models may take before warm-up gives up.</summary>
    internal static readonly TimeSpan ListTimeout = TimeSpan.FromSeconds(5);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.WarmupTimeout <= TimeSpan.Zero)
        {
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.WarmupTimeout);
        try
        {
            List<(ModelReference Model, bool Gpu)> models;
            // Storage that cannot list in a few seconds is down: start now, and let serving report it.
            using (var listing = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token))
            {
                listing.CancelAfter(ListTimeout);
                models = await ModelsToLoadAsync(listing.Token).ConfigureAwait(false);
            }
            var started = time.GetTimestamp();
            // One at a time: loads compete for the same cores, and the first model is usually the one traffic needs.
            var loaded = 0;
            foreach (var (model, gpu) in models)
            {
                if (gpu && options.ScoringServiceUrl is not null)
                {
                    continue;
                }
                try
                {
                    await runtime.Scorer.ScoreAsync(model, "", timeout.Token).ConfigureAwait(false);
                    LogLoaded(model.ToString());
                    loaded++;
                }
                catch (ScoringException ex)
                {
                    LogFailed(model.ToString(), ex.Message);
                }
            }
            LogDone(loaded, time.GetElapsedTime(started).TotalSeconds);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogTimedOut();
        }
#pragma warning disable CA1031 // Warm-up is an optimisation: storage trouble here must not stop the app; serving reports it on use.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            LogUnavailable(ex.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The models to load, in order (the default first), with whether their manifest targets the GPU.</summary>
    private async Task<List<(ModelReference Model, bool Gpu)>> ModelsToLoadAsync(CancellationToken ct)
    {
        var wanted = new List<ModelReference>();
        // The default slot's champion first: it answers the traffic that names nothing.
        if (options.DefaultSlot is { } slot && (await experiments.GetSlotAsync(slot, ct).ConfigureAwait(false))?.Slot.Champion is { } champion
            && ModelReference.TryParse(champion, out var serving))
        {
            wanted.Add(serving);
        }
        if (options.DefaultModel is { } name && ModelReference.TryParse(name, out var fallback) && !wanted.Contains(fallback))
        {
            wanted.Add(fallback);
        }
        foreach (var stored in await experiments.ListAsync(ct).ConfigureAwait(false))
        {
            var definition = stored.Definition;
            if (definition.Kind != ExperimentKind.Model || definition.Phase == ExperimentPhase.Draft)
            {
                continue;
            }
            foreach (string serves in definition.Arms.Select(a => a.Serves).Concat(definition.ShadowModels ?? []))
            {
                if (ModelReference.TryParse(serves, out var reference) && !wanted.Contains(reference))
                {
                    wanted.Add(reference);
                }
            }
        }
        // Listing reads manifests only; loading happens below, for the models that will be scored here.
        var published = await runtime.Registry.ListAsync(ct).ConfigureAwait(false);
        var result = new List<(ModelReference, bool)>();
        foreach (var reference in wanted)
        {
            // Versions are listed newest first within each model, so a reference without a version finds the newest.
            var info = published.FirstOrDefault(v => v.Manifest.Name == reference.Name && (reference.Version is null || v.Manifest.Version == reference.Version));
            if (info is not null)
            {
                result.Add((info.Reference, string.Equals(info.Manifest.Target, "gpu", StringComparison.OrdinalIgnoreCase)));
            }
        }
        return result;
    }

    [LoggerMessage(1, LogLevel.Information, "Loaded {Model} before taking traffic.")]
    private partial void LogLoaded(string model);

    [LoggerMessage(2, LogLevel.Warning, "Could not load {Model} at start-up; it will load on first use: {Reason}")]
    private partial void LogFailed(string model, string reason);

    [LoggerMessage(3, LogLevel.Information, "Warm-up: {Count} model(s) in {Seconds:F1} s.")]
    private partial void LogDone(int count, double seconds);

    [LoggerMessage(4, LogLevel.Warning, "Warm-up stopped: storage did not answer in time, or Verdict:WarmupTimeout passed; models load on first use.")]
    private partial void LogTimedOut();

    [LoggerMessage(5, LogLevel.Warning, "Warm-up skipped: experiments could not be listed: {Reason}")]
    private partial void LogUnavailable(string reason);
}
