using System.Buffers;
using System.Text.Json;
using Verdict.Serving;

namespace Verdict.Functions;

/// <summary>
/// A request the edge refuses before the service sees it (a body that is not JSON, a field of the wrong type):
/// the field at fault (a JSON path such as <c>body</c> or <c>[2].handlingSeconds</c>) and why. The service's
/// own refusals (<see cref="ServiceError"/>) become one through <see cref="From"/>.
/// </summary>
internal sealed class RequestProblem(string field, string message, int status = StatusCodes.Status400BadRequest) : Exception(message)
{
    public string Field { get; } = field;

    public int Status { get; } = status;

    /// <summary>The service's refusal as the edge states it: the field's path in the request, and the status its reason maps to.</summary>
    public static RequestProblem From(ServiceError error, bool array) => new(error.Path(array), error.Message, error.Reason switch
    {
        ServiceErrorReason.Invalid => StatusCodes.Status400BadRequest,
        ServiceErrorReason.TooLarge => StatusCodes.Status413PayloadTooLarge,
        ServiceErrorReason.NotFound => StatusCodes.Status404NotFound,
        ServiceErrorReason.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => throw new ArgumentOutOfRangeException(nameof(error), error.Reason, "not a reason the edge knows"),
    });

    /// <summary>The service's value, or its refusal thrown as the edge's problem (caught by <see cref="Edge.RunAsync"/> for HTTP, by <see cref="QueueHandler"/> for a queue message).</summary>
    public static T ValueOf<T>(ServiceResult<T> result, bool array) =>
        result.Succeeded ? result.Value : throw From(result.Error, array);

    /// <summary>Whether the same message could succeed later (a model or experiment published since, a GPU service back up): a queue retries it; anything else is poisoned at once.</summary>
    public bool MayPassLater => Status is StatusCodes.Status404NotFound or StatusCodes.Status503ServiceUnavailable;

    /// <summary>Problem details (RFC 9457) whose <c>errors</c> name the field.</summary>
    public IResult ToResult() => Results.ValidationProblem(
        new Dictionary<string, string[]> { [Field] = [Message] },
        statusCode: Status,
        title: Status == StatusCodes.Status413PayloadTooLarge ? "The request is too large." : "The request is invalid.");
}

/// <summary>A parsed request body: <see cref="Root"/> and every element in it are valid until the body is disposed.</summary>
internal sealed class RequestBody(JsonDocument document, byte[] buffer) : IDisposable
{
    private byte[]? _buffer = buffer;

    public JsonElement Root => document.RootElement;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } bytes)
        {
            document.Dispose();
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }
}

/// <summary>
/// Reads JSON request bodies within the size limit and maps them to the service's request records. Only the
/// JSON's shape is checked here (an object, a string where a string belongs); what the values must be is the
/// service's to say.
/// </summary>
internal static class RequestReader
{
    public static ScoreRequest Score(JsonElement item, string path) => new(
        String(item, "id", path), String(item, "unit", path), String(item, "experiment", path), String(item, "model", path),
        String(item, "subject", path), String(item, "body", path), String(item, "slot", path));

    public static OutcomeRequest Outcome(JsonElement item, string path) => new(
        String(item, "scoringId", path), String(item, "trueIntent", path), Number(item, "handlingSeconds", path), String(item, "experiment", path));

    public static TemplateRequest Template(JsonElement item) => new(String(item, "experiment", ""), String(item, "unit", ""), String(item, "messageId", ""));

    public static ReplyRequest Reply(JsonElement item) => new(String(item, "messageId", ""), String(item, "body", ""), String(item, "experiment", ""));

    /// <summary>
    /// Reads and parses a JSON body of at most <paramref name="maxBytes"/>. The body holds the bytes (one pooled
    /// buffer, sized by Content-Length when sent and grown otherwise) and their parse; its elements are valid
    /// until it is disposed, which returns both to their pools.
    /// </summary>
    public static async ValueTask<RequestBody> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            throw new RequestProblem("$", $"the request body has {request.ContentLength} bytes; the limit is {maxBytes}", StatusCodes.Status413PayloadTooLarge);
        }
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(request.ContentLength ?? 4096, 1, maxBytes) + 1);
        bool handedOver = false;
        try
        {
            int length = 0;
            int read;
            while ((read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
                if (length > maxBytes)
                {
                    throw new RequestProblem("$", $"the request body is over the limit of {maxBytes} bytes", StatusCodes.Status413PayloadTooLarge);
                }
                if (length == buffer.Length)
                {
                    byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }
            if (length == 0)
            {
                throw new RequestProblem("$", "the request body is empty; send a JSON object");
            }
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(buffer.AsMemory(0, length));
            }
            catch (JsonException ex)
            {
                throw new RequestProblem("$", $"the request body is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1})");
            }
            handedOver = true;
            return new RequestBody(document, buffer);
        }
        finally
        {
            if (!handedOver)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>The items of a body that is one object or an array of them (at most <paramref name="max"/>), with each item's path prefix.</summary>
    public static List<(JsonElement Item, string Path)> ObjectOrArray(JsonElement root, int max)
    {
        if (root.ValueKind == JsonValueKind.Object)
        {
            return [(root, "")];
        }
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw new RequestProblem("$", "send a JSON object or an array of them");
        }
        int count = root.GetArrayLength();
        if (count == 0)
        {
            throw new RequestProblem("$", "the array is empty");
        }
        if (count > max)
        {
            throw new RequestProblem("$", $"the batch has {count} items; the limit is {max}", StatusCodes.Status413PayloadTooLarge);
        }
        var items = new List<(JsonElement, string)>(count);
        int i = 0;
        foreach (var item in root.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new RequestProblem($"[{i}]", "each item must be a JSON object");
            }
            items.Add((item, $"[{i}]."));
            i++;
        }
        return items;
    }

    public static JsonElement Object(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new RequestProblem("$", "send a JSON object");
        }
        return root;
    }

    /// <summary>A string field as sent: absent or null gives null; another type is refused. Its value is the service's to judge.</summary>
    public static string? String(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new RequestProblem(path + name, $"{name} must be a string");
    }

    /// <summary>An optional number field.</summary>
    public static double? Number(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double number) || !double.IsFinite(number))
        {
            throw new RequestProblem(path + name, $"{name} must be a finite number");
        }
        return number;
    }
}
