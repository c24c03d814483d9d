using System.Globalization;
using System.Text.Json;

namespace Verdict.Functions;

/// <summary>
/// The queue settings of <c>host.json</c> (<c>extensions.queues</c>): what the Functions host obeys in Azure
/// and what the local listeners obey, read from the same file so both behave alike. Missing settings take
/// the host's documented defaults.
/// </summary>
internal sealed record QueueSettings
{
    /// <summary>Messages fetched at once (the host allows 1 to 32).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>A new batch is fetched when the messages in flight drop to this many.</summary>
    public int NewBatchThreshold { get; init; } = 8;

    /// <summary>The longest pause between polls of an empty queue.</summary>
    public TimeSpan MaxPollingInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a failed message stays invisible before its next delivery.</summary>
    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.Zero;

    /// <summary>Deliveries before a failing message moves to <c>&lt;queue&gt;-poison</c>.</summary>
    public int MaxDequeueCount { get; init; } = 5;

    /// <summary>Whether message text is base64 on the wire (the host's default) or plain.</summary>
    public bool Base64 { get; init; } = true;

    /// <summary>Reads <paramref name="path"/>; a wrong setting throws naming the file and the setting.</summary>
    public static QueueSettings Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        if (!document.RootElement.TryGetProperty("extensions", out var extensions) || !extensions.TryGetProperty("queues", out var queues))
        {
            return new QueueSettings();
        }
        var defaults = new QueueSettings();
        int batch = Int(queues, "batchSize", defaults.BatchSize, 1, 32, path);
        return new QueueSettings
        {
            BatchSize = batch,
            NewBatchThreshold = Int(queues, "newBatchThreshold", batch / 2, 0, 1000, path),
            MaxPollingInterval = Time(queues, "maxPollingInterval", defaults.MaxPollingInterval, TimeSpan.FromMilliseconds(100), path),
            VisibilityTimeout = Time(queues, "visibilityTimeout", defaults.VisibilityTimeout, TimeSpan.Zero, path),
            MaxDequeueCount = Int(queues, "maxDequeueCount", defaults.MaxDequeueCount, 1, 1000, path),
            Base64 = Encoding(queues, path),
        };
    }

    private static int Int(JsonElement queues, string name, int fallback, int min, int max, string path)
    {
        if (!queues.TryGetProperty(name, out var value))
        {
            return fallback;
        }
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int n) && n >= min && n <= max
            ? n
            : throw Invalid(path, name, $"a whole number from {min} to {max}", value);
    }

    private static TimeSpan Time(JsonElement queues, string name, TimeSpan fallback, TimeSpan min, string path)
    {
        if (!queues.TryGetProperty(name, out var value))
        {
            return fallback;
        }
        return value.ValueKind == JsonValueKind.String
            && TimeSpan.TryParse(value.GetString(), CultureInfo.InvariantCulture, out var t) && t >= min && t <= TimeSpan.FromDays(7)
            ? t
            : throw Invalid(path, name, $"a time span \"hh:mm:ss\" from {min:c} to 7 days", value);
    }

    private static bool Encoding(JsonElement queues, string path)
    {
        if (!queues.TryGetProperty("messageEncoding", out var value))
        {
            return true;
        }
        return value.GetString() switch
        {
            "base64" => true,
            "none" => false,
            _ => throw Invalid(path, "messageEncoding", "\"base64\" or \"none\"", value),
        };
    }

    private static InvalidOperationException Invalid(string path, string name, string expected, JsonElement value) =>
        new($"{path}: extensions.queues.{name} must be {expected} (is {value.GetRawText()})");
}
