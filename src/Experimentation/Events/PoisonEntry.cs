using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Verdict.Experimentation.Events;

/// <summary>
/// What goes to <c>&lt;queue&gt;-poison</c> when a message can never be handled, whoever moves it there (the
/// Functions app's queue functions, <c>verdict simulate --via-queue</c>): the reason, the queue, the
/// delivery count, when, and the message as it was.
/// </summary>
public static class PoisonEntry
{
    /// <summary>The entry as JSON: <c>{reason, queue, dequeueCount, poisonedAt, message}</c>.</summary>
    public static string ToJson(string reason, string queue, long dequeueCount, DateTimeOffset poisonedAt, string message)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256 + message.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("reason", reason);
            writer.WriteString("queue", queue);
            writer.WriteNumber("dequeueCount", dequeueCount);
            writer.WriteString("poisonedAt", poisonedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
            writer.WriteString("message", message);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
