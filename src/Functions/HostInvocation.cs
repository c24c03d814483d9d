using System.Globalization;
using System.Text.Json;

namespace Verdict.Functions;

/// <summary>A queue message as the Functions host hands it over.</summary>
internal sealed record Invocation(string Message, long DequeueCount, DateTimeOffset? InsertionTime, string? MessageId);

/// <summary>
/// The custom-handler side of queue triggers: the host POSTs <c>/{function}</c> with
/// <c>{"Data":{"message":…},"Metadata":{…}}</c> and reads back <c>{"Outputs":…,"Logs":…,"ReturnValue":…}</c>.
/// A 500 tells the host the invocation failed, so it redelivers. Outputs are JSON objects, never bare
/// strings, so the host cannot mistake one for base64 and decode it.
/// </summary>
internal static class HostInvocation
{
    public static void Map(WebApplication app)
    {
        foreach (var (function, queue) in QueueFunctions.QueueOfFunction)
        {
            app.MapPost("/" + function, (HttpRequest request, QueueFunctions functions, FunctionsOptions options, CancellationToken ct) =>
                InvokeAsync(queue, request, functions, options, ct));
        }
    }

    private static async Task<IResult> InvokeAsync(string queue, HttpRequest request, QueueFunctions functions, FunctionsOptions options, CancellationToken ct)
    {
        Invocation invocation;
        try
        {
            using var envelope = await RequestReader.ReadAsync(request, options.MaxRequestBytes * 2, ct).ConfigureAwait(false);
            invocation = Read(RequestReader.Object(envelope.Root));
        }
        catch (RequestProblem problem)
        {
            return problem.ToResult();
        }
        var result = await functions.HandleAsync(queue, invocation.Message, invocation.DequeueCount, invocation.InsertionTime, ct).ConfigureAwait(false);
        var body = JsonBytes.Write(writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartObject("Outputs");
            if (result.Output is { } output)
            {
                // The answer's JSON as it is, an object: the host never takes it for base64.
                writer.WritePropertyName(QueueFunctions.OutputBinding);
                writer.WriteRawValue(output, skipInputValidation: true);
            }
            writer.WriteEndObject();
            writer.WriteStartArray("Logs");
            if (result.Reason is { } reason)
            {
                writer.WriteStringValue($"{result.Outcome}: {reason}");
            }
            writer.WriteEndArray();
            writer.WriteNull("ReturnValue");
            writer.WriteEndObject();
        });
        return new JsonBytes(body, result.Outcome == QueueOutcome.Retry ? StatusCodes.Status500InternalServerError : StatusCodes.Status200OK);
    }

    /// <summary>
    /// Reads an invocation. The host passes string data as a JSON string holding the message text (so a JSON
    /// message arrives encoded twice); an object is taken as the message itself.
    /// </summary>
    public static Invocation Read(JsonElement envelope)
    {
        if (!envelope.TryGetProperty("Data", out var data) || data.ValueKind != JsonValueKind.Object)
        {
            throw new RequestProblem("Data", "the invocation has no Data object");
        }
        if (!data.TryGetProperty(QueueFunctions.TriggerBinding, out var item))
        {
            throw new RequestProblem("Data." + QueueFunctions.TriggerBinding, $"the invocation carries no '{QueueFunctions.TriggerBinding}' binding");
        }
        string message = item.ValueKind switch
        {
            JsonValueKind.String => item.GetString()!,
            JsonValueKind.Object or JsonValueKind.Array => item.GetRawText(),
            _ => throw new RequestProblem("Data." + QueueFunctions.TriggerBinding, "the message must be a string or JSON"),
        };
        long dequeueCount = 1;
        DateTimeOffset? inserted = null;
        string? id = null;
        if (envelope.TryGetProperty("Metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object)
        {
            if (metadata.TryGetProperty("DequeueCount", out var count))
            {
                dequeueCount = count.ValueKind switch
                {
                    JsonValueKind.Number when count.TryGetInt64(out long n) && n >= 1 => n,
                    JsonValueKind.String when long.TryParse(count.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n >= 1 => n,
                    _ => throw new RequestProblem("Metadata.DequeueCount", "DequeueCount must be a whole number ≥ 1"),
                };
            }
            if (metadata.TryGetProperty("InsertionTime", out var time) && time.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParse(time.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                inserted = at;
            }
            if (metadata.TryGetProperty("Id", out var messageId) && messageId.ValueKind == JsonValueKind.String)
            {
                id = messageId.GetString();
            }
        }
        return new Invocation(message, dequeueCount, inserted, id);
    }
}
