using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Verdict.Experimentation.Events;

/// <summary>How Blob paths reach the account: a service client the caller holds, else a connection string.</summary>
internal readonly record struct BlobAccess(BlobServiceClient? Service, string? ConnectionString);

/// <summary>One input of an analysis, a file or a blob: its name in messages, its size when listed, and how to open it.</summary>
internal sealed record EventSource(string Name, long Length, Func<CancellationToken, Task<Stream>> OpenAsync);

/// <summary>
/// Resolves an events path — a JSONL file, a folder of them (recursively, in ordinal name order), a
/// Blob prefix written <c>blob://container/prefix</c>, or the event log of an experiment written
/// <c>log://container</c> — into its sources, and streams sources into the reader.
/// </summary>
internal static class EventSources
{
    public const string BlobScheme = "blob://";
    public const string LogScheme = "log://";

    /// <summary>Streams each source into the reader, in order.</summary>
    public static async Task ReadAsync(EventLogReader reader, IEnumerable<EventSource> sources, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(sources);
        foreach (var source in sources)
        {
            var stream = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                reader.Read(stream, source.Name);
            }
        }
    }

    /// <summary>Hands every line of every path's sources to <paramref name="onLine"/>, path by path, source by source (readers that need no join).</summary>
    public static async Task ReadLinesAsync(IEnumerable<string> paths, BlobAccess blobs, JsonLines.LineHandler onLine, CancellationToken cancellationToken)
    {
        foreach (string path in paths)
        {
            foreach (var source in await ResolveAsync(path, blobs, null, null, null, cancellationToken).ConfigureAwait(false))
            {
                var stream = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using (stream.ConfigureAwait(false))
                {
                    JsonLines.Read(stream, onLine);
                }
            }
        }
    }

    /// <summary>
    /// The sources of one path, none read yet. <paramref name="experiment"/>, <paramref name="since"/> and
    /// <paramref name="until"/> select the blobs of a <c>log://</c> path.
    /// </summary>
    public static async Task<IReadOnlyList<EventSource>> ResolveAsync(string path, BlobAccess blobs, string? experiment, DateTimeOffset? since, DateTimeOffset? until, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (path.StartsWith(LogScheme, StringComparison.OrdinalIgnoreCase))
        {
            string container = path[LogScheme.Length..].TrimEnd('/');
            if (string.IsNullOrEmpty(experiment))
            {
                throw new EventLogException($"{path}: reading the event log needs the experiment (--experiment)");
            }
            var client = ContainerClient(path, blobs, container.Length == 0 ? EventLogWriter.DefaultContainer : container);
            return Sources(client, await LogBlobsAsync(client, path, experiment, since, until, cancellationToken).ConfigureAwait(false));
        }
        if (path.StartsWith(BlobScheme, StringComparison.OrdinalIgnoreCase))
        {
            return await PrefixBlobsAsync(path, blobs, cancellationToken).ConfigureAwait(false);
        }
        if (Directory.Exists(path))
        {
            var files = Directory.EnumerateFiles(path, "*.jsonl", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0)
            {
                throw new EventLogException($"{path}: the folder holds no .jsonl files");
            }
            return [.. files.Select(FileSource)];
        }
        if (!File.Exists(path))
        {
            throw new EventLogException($"{path}: no such file or folder");
        }
        return [FileSource(path)];
    }

    private static EventSource FileSource(string file) => new(file, new FileInfo(file).Length, _ =>
        Task.FromResult<Stream>(new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan)));

    private static async Task<IReadOnlyList<EventSource>> PrefixBlobsAsync(string path, BlobAccess blobs, CancellationToken cancellationToken)
    {
        string rest = path[BlobScheme.Length..];
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        string container = slash < 0 ? rest : rest[..slash];
        string prefix = slash < 0 ? "" : rest[(slash + 1)..];
        if (container.Length == 0)
        {
            throw new EventLogException($"{path}: the Blob path names no container (blob://container/prefix)");
        }

        var client = ContainerClient(path, blobs, container);
        var names = new List<(string Name, long Length)>();
        try
        {
            await foreach (var item in client.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken).ConfigureAwait(false))
            {
                names.Add((item.Name, item.Properties.ContentLength ?? 0));
            }
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
            throw new EventLogException($"{path}: container '{container}' not found", ex);
        }
        if (names.Count == 0)
        {
            throw new EventLogException($"{path}: no blobs under this prefix");
        }
        return Sources(client, names);
    }

    /// <summary>
    /// The blobs of an experiment's log whose hour overlaps [<paramref name="since"/>, <paramref name="until"/>]:
    /// its own partition and the unattributed one (outcomes and replies that did not name it), in name order.
    /// </summary>
    private static async Task<List<(string Name, long Length)>> LogBlobsAsync(BlobContainerClient client, string path, string experiment, DateTimeOffset? since, DateTimeOffset? until, CancellationToken cancellationToken)
    {
        var names = new List<(string Name, long Length)>();
        try
        {
            foreach (string partition in new[] { experiment, EventLogWriter.UnattributedPartition })
            {
                await foreach (var item in client.GetBlobsAsync(new GetBlobsOptions { Prefix = partition + "/" }, cancellationToken).ConfigureAwait(false))
                {
                    if (EventLogWriter.HourOf(item.Name, partition) is not { } hour
                        || (since is { } from && hour.AddHours(1) <= from.UtcDateTime)
                        || (until is { } to && hour > to.UtcDateTime))
                    {
                        continue;
                    }
                    names.Add((item.Name, item.Properties.ContentLength ?? 0));
                }
            }
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
            throw new EventLogException($"{path}: container '{client.Name}' not found", ex);
        }
        if (names.Count == 0)
        {
            throw new EventLogException($"{path}: the log holds no blobs of experiment '{experiment}' in that time range");
        }
        return names;
    }

    private static BlobContainerClient ContainerClient(string path, BlobAccess blobs, string container)
    {
        if (blobs.Service is not null)
        {
            return blobs.Service.GetBlobContainerClient(container);
        }
        if (string.IsNullOrEmpty(blobs.ConnectionString))
        {
            throw new EventLogException($"{path}: a Blob path needs a storage connection string (--storage or VERDICT_STORAGE_CONNECTION_STRING)");
        }
        return new BlobContainerClient(blobs.ConnectionString, container);
    }

    /// <summary>The blobs as sources, in ordinal name order.</summary>
    private static List<EventSource> Sources(BlobContainerClient client, List<(string Name, long Length)> blobs) =>
        [.. blobs.OrderBy(b => b.Name, StringComparer.Ordinal).Select(b => new EventSource($"{BlobScheme}{client.Name}/{b.Name}", b.Length, async cancellationToken =>
            // A log blob may be appended to while it is read: appends are whole lines, so reading on past the
            // length seen at open is safe.
            await client.GetBlobClient(b.Name).OpenReadAsync(new BlobOpenReadOptions(allowModifications: true), cancellationToken).ConfigureAwait(false)))];
}
