using System.Collections.Concurrent;
using Azure;
using Microsoft.FeatureManagement;

namespace Verdict.Experimentation.Experiments;

/// <summary>
/// Turns stored experiment definitions into variant feature flags (one per experiment, named by its id):
/// one variant per arm, percentile allocation by cumulative weight, the experiment's seed. Definitions are
/// cached and re-read only when their blob's ETag moved, checked at most once per refresh interval.
/// </summary>
/// <remarks>
/// A stale definition is still answered while one check per experiment runs in the background: no
/// assignment waits for storage once the experiment is known, however many arrive at the end of an
/// interval, and a failed check keeps the cached definition until a later one succeeds. Only the first
/// read of an experiment is waited for (shared by the callers that arrive meanwhile); so is every read when
/// the refresh interval is zero.
/// </remarks>
internal sealed class ExperimentFeatureDefinitionProvider(ExperimentStore store, TimeSpan refresh, TimeProvider time) : IFeatureDefinitionProvider
{
    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<Entry>>> _checks = new(StringComparer.Ordinal);

    private sealed record Entry(ExperimentDefinition? Definition, FeatureDefinition? Feature, ETag? ETag, DateTimeOffset CheckedAt);

    /// <remarks>
    /// The assigner has just refreshed the entry through <see cref="GetExperimentAsync"/>, so a cached one is
    /// used as it is: one ETag check per assignment, not two.
    /// </remarks>
    public async Task<FeatureDefinition?> GetFeatureDefinitionAsync(string featureName) =>
        _cache.TryGetValue(featureName, out var cached)
            ? cached.Feature
            : (await GetEntryAsync(featureName, CancellationToken.None).ConfigureAwait(false)).Feature;

    public async IAsyncEnumerable<FeatureDefinition> GetAllFeatureDefinitionsAsync()
    {
        foreach (var stored in await store.ListAsync().ConfigureAwait(false))
        {
            yield return ToFeature(stored.Definition);
        }
    }

    public async Task<ExperimentDefinition?> GetExperimentAsync(string id, CancellationToken cancellationToken) =>
        (await GetEntryAsync(id, cancellationToken).ConfigureAwait(false)).Definition;

    /// <summary>Completes when the check of <paramref name="id"/> running now, if any, has (for tests).</summary>
    internal Task WhenCheckedAsync(string id) =>
        _checks.TryGetValue(id, out var running) ? running.Value.ContinueWith(_ => { }, TaskScheduler.Default) : Task.CompletedTask;

    private async ValueTask<Entry> GetEntryAsync(string id, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(id, out var cached))
        {
            if (time.GetUtcNow() - cached.CheckedAt < refresh)
            {
                return cached;
            }
            if (refresh > TimeSpan.Zero)
            {
                _ = CheckOnce(id, cached);
                return cached;
            }
        }
        return await CheckOnce(id, cached).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The check of <paramref name="id"/> in flight, or a new one: callers share it, and none of them can cancel it for the others.</summary>
    private Task<Entry> CheckOnce(string id, Entry? cached)
    {
        var mine = new Lazy<Task<Entry>>(() => CheckAsync(id, cached));
        var running = _checks.GetOrAdd(id, mine);
        if (running == mine)
        {
            _ = mine.Value.ContinueWith(
                done =>
                {
                    _ = done.Exception; // observed: a failed background check only means the cached definition stays
                    _checks.TryRemove(new KeyValuePair<string, Lazy<Task<Entry>>>(id, mine));
                },
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return running.Value;
    }

    private async Task<Entry> CheckAsync(string id, Entry? cached)
    {
        var now = time.GetUtcNow();
        if (cached is not null)
        {
            var etag = await store.GetETagAsync(id, CancellationToken.None).ConfigureAwait(false);
            if (etag == cached.ETag)
            {
                return _cache[id] = cached with { CheckedAt = now };
            }
        }
        var stored = await store.GetAsync(id, CancellationToken.None).ConfigureAwait(false);
        var entry = stored is null
            ? new Entry(null, null, null, now)
            : new Entry(stored.Definition, ToFeature(stored.Definition), stored.ETag, now);
        return _cache[id] = entry;
    }

    internal static FeatureDefinition ToFeature(ExperimentDefinition definition)
    {
        var percentiles = new List<PercentileAllocation>();
        double from = 0;
        for (int i = 0; i < definition.Arms.Count; i++)
        {
            var arm = definition.Arms[i];
            double to = i == definition.Arms.Count - 1 ? 100 : Math.Min(100, from + (arm.Weight * 100));
            percentiles.Add(new PercentileAllocation { Variant = arm.Name, From = from, To = to });
            from = to;
        }
        bool allocating = definition.Phase is ExperimentPhase.AA or ExperimentPhase.AB;
        return new FeatureDefinition
        {
            Name = definition.Id,
            Status = FeatureStatus.Conditional,
            EnabledFor = allocating ? [new FeatureFilterConfiguration { Name = "AlwaysOn" }] : [],
            Variants = [.. definition.Arms.Select(a => new VariantDefinition { Name = a.Name })],
            Allocation = new Allocation
            {
                Percentile = percentiles,
                Seed = definition.Seed,
                DefaultWhenEnabled = definition.ControlArm,
                DefaultWhenDisabled = definition.ControlArm,
            },
        };
    }
}
