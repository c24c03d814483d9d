namespace Verdict.Reports;

/// <summary>A model's offline evaluation, as its manifest records it.</summary>
/// <param name="Split">The data split evaluated (e.g. <c>test</c>).</param>
/// <param name="Examples">Examples evaluated.</param>
/// <param name="Accuracy">Share predicted correctly.</param>
/// <param name="MacroF1">Unweighted mean of the per-class F1 scores.</param>
public sealed record OfflineMetrics(string Split, int Examples, double Accuracy, double MacroF1);

/// <summary>Reads offline metrics from a model registry's manifests.</summary>
public static class OfflineMetricsReader
{
    /// <summary>
    /// The offline metrics of the models an analysis names (<c>name@version</c>), from their manifests. Models
    /// the registry does not hold, or whose manifest has no metrics, are left out.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, OfflineMetrics>> ReadAsync(
        Scoring.Registry.IModelRegistry registry, Experimentation.Analysis.AnalysisResult result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(result);
        var wanted = result.Arms.SelectMany(a => a.Models).ToHashSet(StringComparer.Ordinal);
        var found = new Dictionary<string, OfflineMetrics>(StringComparer.Ordinal);
        if (wanted.Count == 0)
        {
            return found;
        }
        foreach (var info in await registry.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            string reference = info.Reference.ToString();
            if (wanted.Contains(reference) && info.Manifest.Metrics is { } m)
            {
                found[reference] = new OfflineMetrics(m.Split, m.Examples, m.Accuracy, m.MacroF1);
            }
        }
        return found;
    }
}
