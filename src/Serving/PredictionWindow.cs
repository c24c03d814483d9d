using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Verdict.Serving;

/// <summary>
/// The last <see cref="Size"/> predictions of each model, as the gauges alerting reads: the mean confidence and each
/// intent's share over the window. A drifting model shows here before its outcomes arrive: its intent mix moves and
/// its confidence falls.
/// </summary>
/// <remarks>One lock per model, taken for a ring write per prediction; the gauges copy the counts when observed.</remarks>
internal sealed class PredictionWindow
{
    public const int Size = 1000;

    private readonly ConcurrentDictionary<string, Ring> _models = new(StringComparer.Ordinal);

    private sealed class Ring
    {
        public readonly string[] Intents = new string[Size];
        public readonly double[] Confidences = new double[Size];
        public readonly Dictionary<string, int> Counts = new(StringComparer.Ordinal);
        public int Next;
        public int Filled;
        public double ConfidenceSum;
    }

    /// <summary>Adds one prediction of <paramref name="model"/>, pushing out the oldest once the window is full.</summary>
    public void Add(string model, string intent, double confidence)
    {
        var ring = _models.GetOrAdd(model, _ => new Ring());
        lock (ring)
        {
            if (ring.Filled == Size)
            {
                string old = ring.Intents[ring.Next];
                if (--ring.Counts[old] == 0)
                {
                    ring.Counts.Remove(old);
                }
                ring.ConfidenceSum -= ring.Confidences[ring.Next];
            }
            else
            {
                ring.Filled++;
            }
            ring.Intents[ring.Next] = intent;
            ring.Confidences[ring.Next] = confidence;
            ring.Counts[intent] = ring.Counts.GetValueOrDefault(intent) + 1;
            ring.ConfidenceSum += confidence;
            ring.Next = (ring.Next + 1) % Size;
        }
    }

    /// <summary>Each model's mean confidence over its window.</summary>
    public IEnumerable<Measurement<double>> MeanConfidence()
    {
        foreach (var (model, ring) in _models)
        {
            lock (ring)
            {
                yield return new Measurement<double>(ring.ConfidenceSum / ring.Filled, new KeyValuePair<string, object?>("model", model));
            }
        }
    }

    /// <summary>Each model's share of each intent over its window.</summary>
    public IEnumerable<Measurement<double>> IntentShares()
    {
        foreach (var (model, ring) in _models)
        {
            List<(string Intent, double Share)> shares;
            lock (ring)
            {
                shares = [.. ring.Counts.Select(kv => (kv.Key, (double)kv.Value / ring.Filled))];
            }
            foreach (var (intent, share) in shares)
            {
                yield return new Measurement<double>(share, new KeyValuePair<string, object?>("model", model), new("intent", intent));
            }
        }
    }
}
