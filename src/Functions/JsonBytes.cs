using System.Buffers;
using System.Text.Json;

namespace Verdict.Functions;

/// <summary>JSON already serialized, sent as it is, with its length.</summary>
internal sealed class JsonBytes(byte[] json, int statusCode = StatusCodes.Status200OK) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = statusCode;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = json.Length;
        return response.BodyWriter.WriteAsync(json, httpContext.RequestAborted).AsTask();
    }

    /// <summary>The bytes <paramref name="write"/> writes: how a response embeds answers already serialized (<see cref="Utf8JsonWriter.WriteRawValue(ReadOnlySpan{byte}, bool)"/>) instead of parsing them again.</summary>
    public static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }
        return buffer.WrittenSpan.ToArray();
    }
}
