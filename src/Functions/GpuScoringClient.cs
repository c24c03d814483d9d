using System.Net.Http.Json;
using System.Text.Json;
using Verdict.Scoring;
using Verdict.Serving;

namespace Verdict.Functions;

/// <summary>
/// Scores on the GPU scoring service (<c>POST /score/batch</c>). The HTTP client carries the resilience
/// pipeline (see <see cref="FunctionsApp"/>): a total timeout, retries with jittered back-off, and a circuit
/// breaker; any failure is a <see cref="GpuScore"/> without a score, for the service to fall back.
/// </summary>
internal sealed class GpuScoringClient(HttpClient http) : IGpuScorer
{
    public async Task<GpuScore> ScoreAsync(ModelReference model, string text, CancellationToken ct)
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
            return GpuScore.Of(new IntentScore(document.RootElement.GetProperty("model").GetString()!, result.GetProperty("intent").GetString()!,
                (float)result.GetProperty("confidence").GetDouble(), labels, probabilities));
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException
            or Polly.CircuitBreaker.BrokenCircuitException or Polly.Timeout.TimeoutRejectedException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return GpuScore.Unavailable($"the GPU scoring service could not score with {model}: {ex.GetType().Name}: {ex.Message}");
        }
    }
}
