using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Verdict.Scoring;
using Verdict.Scoring.Hosting;

namespace Verdict.Functions;

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

/// <summary>
/// Scores on the GPU scoring service (<c>POST /score/batch</c>). The HTTP client carries the resilience
/// pipeline (see <see cref="FunctionsApp"/>): a total timeout, retries with jittered back-off, and a circuit
/// breaker; any failure surfaces as <see cref="GpuUnavailableException"/> for the caller to fall back.
/// </summary>
internal sealed class GpuScoringClient(HttpClient http)
{
    public async Task<IntentScore> ScoreAsync(ModelReference model, string text, CancellationToken ct)
    {
        try
        {
            using var response = await http.PostAsJsonAsync("score/batch", new { model = model.ToString(), texts = new[] { text } }, ct).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            using var document = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false));
            var result = document.RootElement.GetProperty("results")[0];
            var labels = new List<string>();
            var probabilities = new List<float>();
            foreach (var p in result.GetProperty("probabilities").EnumerateObject())
            {
                labels.Add(p.Name);
                probabilities.Add((float)p.Value.GetDouble());
            }
            return new IntentScore(document.RootElement.GetProperty("model").GetString()!, result.GetProperty("intent").GetString()!,
                (float)result.GetProperty("confidence").GetDouble(), labels, probabilities);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException
            or Polly.CircuitBreaker.BrokenCircuitException or Polly.Timeout.TimeoutRejectedException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            throw new GpuUnavailableException($"the GPU scoring service could not score with {model}: {ex.GetType().Name}: {ex.Message}", ex);
        }
    }
}

/// <summary>The GPU scoring service did not answer in time, failed, or its circuit is open.</summary>
internal sealed class GpuUnavailableException(string message, Exception inner) : Exception(message, inner);
