using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Verdict.Experimentation.Events;

/// <summary>How Blob paths reach the account: a service client the caller holds, else a connection string.</summary>
internal readonly record struct BlobAccess(BlobServiceClient? Service, string? ConnectionString);

/// <summary>
/// Resolves an events path — a JSONL file, a folder of them (recursively, in ordinal name order), a
/// Blob prefix written <c>blob://container/prefix</c>, or the event log of an experiment written
/// <c>log://container</c> — and streams each source into the reader.
/// </summary>
internal static class EventSources
{
    public const string BlobScheme = "blob://";
    public const string LogScheme = "log://";

    /// <summary>Reads one path. <paramref name="experiment"/>, <paramref name="since"/> and <paramref name="until"/> select the blobs of a <c>log://</c> path.</summary>
    public static async Task ReadAsync(EventLogReader reader, string path, BlobAccess blobs, string? experiment, DateTimeOffset? since, DateTimeOffset? until, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (path.StartsWith(LogScheme, StringComparison.OrdinalIgnoreCase))
        {
            string container = path[LogScheme.Length..].TrimEnd('/');
            if (string.IsNullOrEmpty(experiment))
            {
                throw new EventLogException($"{path}: reading the event log needs the experiment (--experiment)");
            }
            var client = ContainerClient(path, blobs, container.Length == 0 ? EventLogWriter.DefaultContainer : container);
            var names = await LogBlobsAsync(client, path, experiment, since, until, cancellationToken).ConfigureAwait(false);
            await ReadBlobsAsync(reader, client, names, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (path.StartsWith(BlobScheme, StringComparison.OrdinalIgnoreCase))
        {
            await ReadBlobsAsync(reader, path, blobs, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (Directory.Exists(path))
        {
            var files = Directory.EnumerateFiles(path, "*.jsonl", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0)
            {
                throw new EventLogException($"{path}: the folder holds no .jsonl files");
            }
            foreach (string file in files)
            {
                ReadFile(reader, file);
            }
            return;
        }
        if (!File.Exists(path))
        {
            throw new EventLogException($"{path}: no such file or folder");
        }
        ReadFile(reader, path);
    }

    private static void ReadFile(EventLogReader reader, string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan);
        reader.Read(stream, file);
    }

    private static async Task ReadBlobsAsync(EventLogReader reader, string path, BlobAccess blobs, CancellationToken cancellationToken)
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
        var names = new List<string>();
        try
        {
            await foreach (var item in client.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken).ConfigureAwait(false))
            {
                names.Add(item.Name);
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
        await ReadBlobsAsync(reader, client, names, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The blobs of an experiment's log whose hour overlaps [<paramref name="since"/>, <paramref name="until"/>]:
    /// its own partition and the unattributed one (outcomes and replies that did not name it), in name order.
    /// </summary>
    private static async Task<List<string>> LogBlobsAsync(BlobContainerClient client, string path, string experiment, DateTimeOffset? since, DateTimeOffset? until, CancellationToken cancellationToken)
    {
        var names = new List<string>();
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
                    names.Add(item.Name);
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

    private static async Task ReadBlobsAsync(EventLogReader reader, BlobContainerClient client, List<string> names, CancellationToken cancellationToken)
    {
        foreach (string name in names.Order(StringComparer.Ordinal))
        {
            // A log blob may be appended to while it is read: appends are whole lines, so reading on past the
            // length seen at open is safe.
            var stream = await client.GetBlobClient(name).OpenReadAsync(new BlobOpenReadOptions(allowModifications: true), cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                reader.Read(stream, $"{BlobScheme}{client.Name}/{name}");
            }
        }
    }
}
