using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;

namespace Verdict.TestUtilities;

/// <summary>
/// Storage as a Blob client sees it, for tests: every request counted, and on demand down, held until released, or
/// one write dropped before it leaves, as a lost connection would drop it. Attach it to a client's options.
/// </summary>
public sealed class StorageFaults : HttpPipelinePolicy
{
    private volatile string? _failNextWriteUnder;
    private volatile bool _down;
    private volatile TaskCompletionSource? _held;
    private int _requests;

    /// <summary>Every request fails with a 503 while set.</summary>
    public bool Down { get => _down; set => _down = value; }

    /// <summary>Requests wait for this to complete while set.</summary>
    public TaskCompletionSource? Held { get => _held; set => _held = value; }

    /// <summary>Requests seen (reset it freely).</summary>
    public int Requests { get => Volatile.Read(ref _requests); set => Volatile.Write(ref _requests, value); }

    /// <summary>Adds the policy ahead of the client's retries, and turns the retries off.</summary>
    public void Attach(BlobClientOptions options)
    {
        options.Retry.MaxRetries = 0;
        options.AddPolicy(this, HttpPipelinePosition.PerCall);
    }

    /// <summary>The next write (PUT) of a blob whose name starts with <paramref name="blobPrefix"/> fails with a 503 before it is sent.</summary>
    public void FailNextWrite(string blobPrefix) => _failNextWriteUnder = blobPrefix;

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref _requests);
        if (_held is { } held)
        {
            await held.Task.ConfigureAwait(false);
        }
        if (_down)
        {
            throw new RequestFailedException(503, "storage is down (test)");
        }
        if (_failNextWriteUnder is { } prefix && message.Request.Method == RequestMethod.Put
            && message.Request.Uri.Path.Contains("/" + prefix, StringComparison.Ordinal))
        {
            _failNextWriteUnder = null;
            throw new RequestFailedException(503, "injected: the connection dropped before the write");
        }
        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
    }
}
