using System.Collections.Concurrent;
using Verdict.Scoring;
using Verdict.Scoring.Hosting;

namespace Verdict.Serving;

/// <summary>
/// Which models their manifests send to the GPU service (<c>target: gpu</c>). A published version's target
/// never changes, so whatever the registry lists is kept. A reference it does not list (a typo, or a
/// version published since) is looked up again only once the registry was last listed
/// <see cref="Relist"/> ago: references come from callers, so nothing is kept per unknown one, and a
/// version published later is routed right within that interval.
/// </summary>
internal sealed class ModelTargets(ScoringRuntime runtime, TimeProvider time)
{
    /// <summary>The least time between two listings of the registry.</summary>
    internal static readonly TimeSpan Relist = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, bool> _gpu = new(StringComparer.Ordinal);
    private long _nextListing = long.MinValue;

    public async ValueTask<bool> IsGpuAsync(ModelReference model, CancellationToken ct)
    {
        if (model.Version is null)
        {
            return false;
        }
        string key = model.ToString();
        if (_gpu.TryGetValue(key, out bool gpu))
        {
            return gpu;
        }
        long now = time.GetUtcNow().UtcTicks;
        long next = Volatile.Read(ref _nextListing);
        // One caller lists; the others, meanwhile, take the reference for a CPU model.
        if (now >= next && Interlocked.CompareExchange(ref _nextListing, now + Relist.Ticks, next) == next)
        {
            foreach (var info in await runtime.Registry.ListAsync(ct).ConfigureAwait(false))
            {
                _gpu[info.Reference.ToString()] = string.Equals(info.Manifest.Target, "gpu", StringComparison.OrdinalIgnoreCase);
            }
        }
        return _gpu.TryGetValue(key, out gpu) && gpu;
    }
}
