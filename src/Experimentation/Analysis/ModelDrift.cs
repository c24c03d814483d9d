using System.Text;
using System.Text.Json;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Statistics;

namespace Verdict.Experimentation.Analysis;

/// <summary>What <see cref="ModelDrift.RunAsync"/> reads and compares against.</summary>
public sealed record DriftRequest
{
    /// <summary>The model, <c>name@version</c>.</summary>
    public required string Model { get; init; }

    /// <summary>JSONL files, folders of them, or Blob prefixes (<c>blob://events/</c>: the whole log, every experiment's and slot's partition).</summary>
    public required IReadOnlyList<string> Events { get; init; }

    /// <summary>
    /// What the model predicted on held-out data, counts by intent (a manifest's test confusion matrix, column by
    /// column); null compares every day with the first day of traffic instead.
    /// </summary>
    public IReadOnlyDictionary<string, long>? Reference { get; init; }

    /// <summary>Significance level of the intervals.</summary>
    public double Alpha { get; init; } = 0.05;

    /// <summary>The Blob service, for Blob paths.</summary>
    public Azure.Storage.Blobs.BlobServiceClient? BlobService { get; init; }

    /// <summary>A storage connection string, for Blob paths.</summary>
    public string? BlobConnectionString { get; init; }
}

/// <summary>One UTC day of a model's predictions.</summary>
/// <param name="Date">The day.</param>
/// <param name="Predictions">Emails it scored (in experiments and as a slot's champion).</param>
/// <param name="Labelled">Of those, emails whose outcome gave the true intent.</param>
/// <param name="Accuracy">Online accuracy with a Wilson interval.</param>
/// <param name="MeanConfidence">Mean confidence of its predictions.</param>
/// <param name="Psi">Population stability index of the day's predicted-intent mix against the reference.</param>
/// <param name="Shift"><c>stable</c> (PSI &lt; 0.1), <c>moderate</c> (&lt; 0.25) or <c>major</c>.</param>
/// <param name="IntentMix">The day's share of each predicted intent.</param>
public sealed record DriftDay(DateOnly Date, long Predictions, long Labelled, Estimate Accuracy, double? MeanConfidence, double? Psi, string? Shift, IReadOnlyDictionary<string, double> IntentMix);

/// <summary>A model's quality over time.</summary>
/// <param name="Model">The model.</param>
/// <param name="Reference"><c>manifest</c> (held-out predictions) or <c>first-day</c>.</param>
/// <param name="ReferenceMix">The reference share of each intent.</param>
/// <param name="Days">Day by day, oldest first.</param>
/// <param name="AccuracyChange">Last day's accuracy minus the first day's (two-proportion z-test), the decay signal; null with fewer than two labelled days.</param>
public sealed record DriftReport(string Model, string Reference, IReadOnlyDictionary<string, double> ReferenceMix, IReadOnlyList<DriftDay> Days, Comparison? AccuracyChange);

/// <summary>
/// A model's drift from the event log: per UTC day, its online accuracy from outcomes (with an interval), its
/// predicted-intent mix against what it predicted on held-out data (population stability index), and its confidence.
/// </summary>
/// <remarks>
/// Reads <c>scored</c> (experiment) and <c>served</c> (slot) events of the model and joins outcomes by id: the earliest
/// prediction of an id counts, the latest outcome wins, as in <c>verdict analyze</c>. PSI = Σ (p − q)·ln(p / q) over
/// intents, each share floored at 10⁻⁴ so an intent missing on one side stays finite.
/// </remarks>
public static class ModelDrift
{
    /// <summary>Floor of a share in the PSI, so that an intent never predicted on one side gives a finite term.</summary>
    public const double PsiFloor = 1e-4;

    /// <summary>Reads the log and reports the model's days.</summary>
    /// <exception cref="EventLogException">A path is missing, or the log holds no prediction of the model.</exception>
    public static async Task<DriftReport> RunAsync(DriftRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var predictions = new Dictionary<string, (long Ticks, string Intent, double Confidence)>(StringComparer.Ordinal);
        var outcomes = new Dictionary<string, (long Ticks, string TrueIntent)>(StringComparer.Ordinal);
        byte[] model = Encoding.UTF8.GetBytes(request.Model);
        await EventSources.ReadLinesAsync(request.Events, new BlobAccess(request.BlobService, request.BlobConnectionString),
            (line, _) => Read(line, model, predictions, outcomes), cancellationToken).ConfigureAwait(false);
        if (predictions.Count == 0)
        {
            throw new EventLogException($"the log holds no predictions of {request.Model} (scored or served events)");
        }
        return Report(request, predictions, outcomes);
    }

    private static void Read(ReadOnlySpan<byte> line, byte[] model, Dictionary<string, (long, string, double)> predictions, Dictionary<string, (long, string)> outcomes)
    {
        string? type = null, id = null, intent = null, trueIntent = null;
        long ticks = 0;
        bool hasTs = false;
        bool ours = false;
        double confidence = double.NaN;
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                reader.Read();
                switch (name)
                {
                    case "type" when reader.TokenType == JsonTokenType.String: type = reader.GetString(); break;
                    case "id" when reader.TokenType == JsonTokenType.String: id = reader.GetString(); break;
                    case "ts" when reader.TokenType == JsonTokenType.String: hasTs = !reader.ValueIsEscaped && Rfc3339.TryParseUtcTicks(reader.ValueSpan, out ticks); break;
                    case "model" when reader.TokenType == JsonTokenType.String: ours = reader.ValueTextEquals(model); break;
                    case "intent" when reader.TokenType == JsonTokenType.String: intent = reader.GetString(); break;
                    case "trueIntent" when reader.TokenType == JsonTokenType.String: trueIntent = reader.GetString(); break;
                    case "confidence" when reader.TokenType == JsonTokenType.Number: confidence = reader.GetDouble(); break;
                    default: reader.Skip(); break;
                }
            }
        }
        catch (JsonException)
        {
            // A malformed line says nothing about the model; verdict analyze reports such lines.
            return;
        }
        if (id is null || !hasTs)
        {
            return;
        }
        if (type is "scored" or "served" && ours && intent is not null)
        {
            if (!predictions.TryGetValue(id, out var seen) || ticks < seen.Item1)
            {
                predictions[id] = (ticks, intent, confidence);
            }
        }
        else if (type == "outcome" && trueIntent is not null && (!outcomes.TryGetValue(id, out var known) || ticks >= known.Item1))
        {
            outcomes[id] = (ticks, trueIntent);
        }
    }

    private static DriftReport Report(DriftRequest request, Dictionary<string, (long Ticks, string Intent, double Confidence)> predictions, Dictionary<string, (long Ticks, string TrueIntent)> outcomes)
    {
        double z = Tails.NormalCritical(request.Alpha);
        var byDay = predictions.GroupBy(p => DateOnly.FromDateTime(new DateTime(p.Value.Ticks, DateTimeKind.Utc))).OrderBy(g => g.Key).ToList();
        var reference = request.Reference is { Count: > 0 } given ? Shares(given) : Shares(byDay[0].GroupBy(p => p.Value.Intent).ToDictionary(g => g.Key, g => (long)g.Count()));
        var days = new List<DriftDay>();
        var accuracyByDay = new List<ProportionSummary>();
        foreach (var day in byDay)
        {
            var labelled = day.Where(p => outcomes.ContainsKey(p.Key)).Select(p => p.Value.Intent == outcomes[p.Key].TrueIntent).ToList();
            var accuracy = new ProportionSummary(labelled.Count, labelled.Count(c => c));
            accuracyByDay.Add(accuracy);
            var (low, high) = TwoProportionZTest.Wilson(accuracy.Successes, accuracy.Count, z);
            var mix = Shares(day.GroupBy(p => p.Value.Intent).ToDictionary(g => g.Key, g => (long)g.Count()));
            double psi = Psi(mix, reference);
            var confidences = day.Select(p => p.Value.Confidence).Where(c => !double.IsNaN(c)).ToList();
            days.Add(new DriftDay(day.Key, day.Count(), accuracy.Count,
                accuracy.Count == 0 ? new Estimate(null, null, null, UninformativeReason.EmptyArm) : new Estimate(accuracy.Rate, low, high),
                confidences.Count == 0 ? null : confidences.Average(), psi, psi < 0.1 ? "stable" : psi < 0.25 ? "moderate" : "major", mix));
        }
        var withLabels = accuracyByDay.Where(a => a.Count > 0).ToList();
        var change = withLabels.Count >= 2 ? TwoProportionZTest.Compute("first day", "last day", withLabels[0], withLabels[^1], request.Alpha) : null;
        return new DriftReport(request.Model, request.Reference is { Count: > 0 } ? "manifest" : "first-day", reference, days, change);
    }

    private static Dictionary<string, double> Shares(IReadOnlyDictionary<string, long> counts)
    {
        double total = counts.Values.Sum();
        return counts.Where(kv => kv.Value > 0).OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => kv.Value / total, StringComparer.Ordinal);
    }

    /// <summary>Σ (p − q)·ln(p / q) over the intents of either side, each share floored at <see cref="PsiFloor"/>.</summary>
    public static double Psi(IReadOnlyDictionary<string, double> actual, IReadOnlyDictionary<string, double> expected)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(expected);
        double psi = 0;
        foreach (string intent in actual.Keys.Union(expected.Keys))
        {
            double p = Math.Max(PsiFloor, actual.GetValueOrDefault(intent)), q = Math.Max(PsiFloor, expected.GetValueOrDefault(intent));
            psi += (p - q) * Math.Log(p / q);
        }
        return psi;
    }
}
