using System.Text.Json;

namespace Verdict.Experimentation.Events;

/// <summary>A kept email with the true intent its outcome gave.</summary>
/// <param name="Id">The scoring id.</param>
/// <param name="Text">The email's text as scored.</param>
/// <param name="Intent">The true intent.</param>
public sealed record LabelledEmail(string Id, string Text, string Intent);

/// <summary>
/// Labelled training examples from production: the kept email texts (<c>body</c> events) joined by id with the true
/// intents of their outcomes (the latest outcome of an id wins, as in the analysis). Bodies without a true intent are
/// left out: a rep who never confirmed the intent taught nothing.
/// </summary>
public static class KeptExamples
{
    /// <summary>Reads the bodies and the outcomes and joins them.</summary>
    /// <param name="bodies">Paths of the kept bodies (files, folders, <c>blob://bodies/_slot-S/</c>, …).</param>
    /// <param name="events">Paths of the event log holding the outcomes.</param>
    /// <param name="blobs">The Blob service, for Blob paths.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <exception cref="EventLogException">A path is missing.</exception>
    public static async Task<IReadOnlyList<LabelledEmail>> ReadAsync(IEnumerable<string> bodies, IEnumerable<string> events, Azure.Storage.Blobs.BlobServiceClient? blobs, CancellationToken cancellationToken = default)
    {
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        var truths = new Dictionary<string, (long Ticks, string Intent)>(StringComparer.Ordinal);
        await ReadAllAsync(bodies, blobs, e =>
        {
            if (Str(e, "type") == "body" && Str(e, "id") is { } id && Str(e, "text") is { } text)
            {
                texts.TryAdd(id, text);
            }
        }, cancellationToken).ConfigureAwait(false);
        await ReadAllAsync(events, blobs, e =>
        {
            if (Str(e, "type") == "outcome" && Str(e, "id") is { } id && Str(e, "trueIntent") is { } intent && Str(e, "ts") is { } ts
                && Rfc3339.TryParseUtcTicks(System.Text.Encoding.UTF8.GetBytes(ts), out long ticks)
                && (!truths.TryGetValue(id, out var known) || ticks >= known.Ticks))
            {
                truths[id] = (ticks, intent);
            }
        }, cancellationToken).ConfigureAwait(false);
        return [.. texts.Where(t => truths.ContainsKey(t.Key)).OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new LabelledEmail(t.Key, t.Value, truths[t.Key].Intent))];
    }

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static Task ReadAllAsync(IEnumerable<string> paths, Azure.Storage.Blobs.BlobServiceClient? blobs, Action<JsonElement> onEvent, CancellationToken ct) =>
        EventSources.ReadLinesAsync(paths, new BlobAccess(blobs, null), (line, _) =>
        {
            try
            {
                using var doc = JsonDocument.Parse(line.ToArray());
                if (doc.RootElement.ValueKind == JsonValueKind.Object)
                {
                    onEvent(doc.RootElement);
                }
            }
            catch (JsonException)
            {
                // Malformed lines teach nothing; verdict analyze reports them.
            }
        }, ct);
}
