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
            var files = await LocalFilesAsync(path, cancellationToken).ConfigureAwait(false);
            if (files.Count == 0)
            {
                throw new EventLogException($"{path}: the folder holds no .jsonl files (nor compacted .parquet files)");
            }
            return [.. files.Select(FileSource)];
        }
        if (!File.Exists(path))
        {
            throw new EventLogException($"{path}: no such file or folder");
        }
        return [FileSource(path)];
    }

    /// <summary>
    /// A folder's log files, recursively, in ordinal name order: its .jsonl files and compacted files, less the .jsonl files
    /// a compacted file holds (matched by the end of their path and their length: a copy of the log keeps the blobs' names).
    /// </summary>
    public static async Task<List<string>> LocalFilesAsync(string folder, CancellationToken cancellationToken = default)
    {
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".jsonl", StringComparison.Ordinal) || CompactedLog.IsCompacted(f)).Order(StringComparer.Ordinal).ToList();
        var held = new List<CompactedLog.Source>();
        foreach (string file in files.Where(CompactedLog.IsCompacted))
        {
            await using var stream = File.OpenRead(file);
            held.AddRange(await CompactedLog.ReadSourcesAsync(stream, file, cancellationToken).ConfigureAwait(false));
        }
        if (held.Count == 0)
        {
            return files;
        }
        var byName = held.GroupBy(h => Path.GetFileName(h.Name), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        return [.. files.Where(f => !(byName.TryGetValue(Path.GetFileName(f), out var candidates)
            && candidates.Any(h => f.Replace('\\', '/').EndsWith("/" + h.Name, StringComparison.Ordinal) && new FileInfo(f).Length == h.Length)))];
    }

    private static EventSource FileSource(string file)
    {
        Task<Stream> Open(CancellationToken _) =>
            Task.FromResult<Stream>(new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan));
        return new(file, new FileInfo(file).Length, CompactedLog.IsCompacted(file) ? ct => CompactedLog.OpenLinesAsync(Open, file, ct) : Open);
    }

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
        var names = new List<BlobItem>();
        try
        {
            await foreach (var item in client.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken).ConfigureAwait(false))
            {
                names.Add(item);
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
        return Sources(client, await WithoutHeldAsync(client, names, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// The blobs of an experiment's log whose hour overlaps [<paramref name="since"/>, <paramref name="until"/>]:
    /// its own partition and the unattributed one (outcomes and replies that did not name it), in name order.
    /// </summary>
    private static async Task<List<BlobItem>> LogBlobsAsync(BlobContainerClient client, string path, string experiment, DateTimeOffset? since, DateTimeOffset? until, CancellationToken cancellationToken)
    {
        var names = new List<BlobItem>();
        try
        {
            foreach (string partition in new[] { experiment, EventLogWriter.UnattributedPartition })
            {
                await foreach (var item in client.GetBlobsAsync(new GetBlobsOptions { Prefix = partition + "/" }, cancellationToken).ConfigureAwait(false))
                {
                    // An hourly blob covers its hour; a compacted file its day.
                    (DateTime Start, TimeSpan Length)? span = EventLogWriter.HourOf(item.Name, partition) is { } hour ? (hour, TimeSpan.FromHours(1))
                        : CompactedLog.Parse(item.Name, partition) is { } day ? (day.Day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), TimeSpan.FromDays(1))
                        : null;
                    if (span is not { } s
                        || (since is { } from && s.Start + s.Length <= from.UtcDateTime)
                        || (until is { } to && s.Start > to.UtcDateTime))
                    {
                        continue;
                    }
                    names.Add(item);
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
        return await WithoutHeldAsync(client, names, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The blobs, less the hourly blobs a compacted file among them holds and that are unchanged since (their ETag).</summary>
    private static async Task<List<BlobItem>> WithoutHeldAsync(BlobContainerClient client, List<BlobItem> blobs, CancellationToken cancellationToken)
    {
        var held = await CompactedLog.HeldAsync(client, blobs.Select(b => b.Name).Where(CompactedLog.IsCompacted), cancellationToken).ConfigureAwait(false);
        return held.Count == 0 ? blobs : [.. blobs.Where(b => !(held.TryGetValue(b.Name, out var source) && CompactedLog.Unchanged(source, b.Properties.ETag)))];
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
    private static List<EventSource> Sources(BlobContainerClient client, List<BlobItem> blobs) =>
        [.. blobs.OrderBy(b => b.Name, StringComparer.Ordinal).Select(b =>
        {
            string name = $"{BlobScheme}{client.Name}/{b.Name}";
            // A log blob may be appended to while it is read: appends are whole lines, so reading on past the
            // length seen at open is safe.
            async Task<Stream> Open(CancellationToken cancellationToken) =>
                await client.GetBlobClient(b.Name).OpenReadAsync(new BlobOpenReadOptions(allowModifications: true), cancellationToken).ConfigureAwait(false);
            // A compacted file is written whole and never appended to; Parquet reads its footer from the end.
            async Task<Stream> OpenWhole(CancellationToken cancellationToken) =>
                await client.GetBlobClient(b.Name).OpenReadAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return new EventSource(name, b.Properties.ContentLength ?? 0, CompactedLog.IsCompacted(b.Name) ? ct => CompactedLog.OpenLinesAsync(OpenWhole, name, ct) : Open);
        })];
}
