using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Verdict.Experimentation.Events;

/// <summary>
/// Resolves an events path — a JSONL file, a folder of them (recursively, in ordinal name order), or a
/// Blob prefix written <c>blob://container/prefix</c> — and streams each source into the reader.
/// </summary>
internal static class EventSources
{
    public const string BlobScheme = "blob://";

    public static async Task ReadAsync(EventLogReader reader, string path, string? blobConnectionString, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (path.StartsWith(BlobScheme, StringComparison.OrdinalIgnoreCase))
        {
            await ReadBlobsAsync(reader, path, blobConnectionString, cancellationToken).ConfigureAwait(false);
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

    private static async Task ReadBlobsAsync(EventLogReader reader, string path, string? connectionString, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(connectionString))
        {
            throw new EventLogException($"{path}: a Blob path needs a storage connection string (--storage or VERDICT_STORAGE_CONNECTION_STRING)");
        }
        string rest = path[BlobScheme.Length..];
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        string container = slash < 0 ? rest : rest[..slash];
        string prefix = slash < 0 ? "" : rest[(slash + 1)..];
        if (container.Length == 0)
        {
            throw new EventLogException($"{path}: the Blob path names no container (blob://container/prefix)");
        }

        var client = new BlobContainerClient(connectionString, container);
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
        foreach (string name in names.Order(StringComparer.Ordinal))
        {
            var stream = await client.GetBlobClient(name).OpenReadAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                reader.Read(stream, $"{BlobScheme}{container}/{name}");
            }
        }
    }
}
