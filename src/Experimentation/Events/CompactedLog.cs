using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Parquet;
using Parquet.Schema;

namespace Verdict.Experimentation.Events;

/// <summary>
/// A compacted day of the event log (docs/compaction.md): one Parquet file, <c>{partition}/{yyyy-MM-dd}/compacted-{k}.parquet</c>,
/// holding the day's hourly JSONL blobs line for line in one string column, <c>line</c>. Its footer lists the blobs it
/// holds (name, length and ETag): a reader skips a listed blob whose ETag still matches, so a blob left in place by an
/// interrupted compaction is not read twice, and one that changed after it was compacted is read whole.
/// </summary>
public static class CompactedLog
{
    /// <summary>The column holding each line.</summary>
    public const string LineColumn = "line";

    /// <summary>The footer key holding the format's name and version.</summary>
    public const string FormatKey = "verdict.format";

    /// <summary>The footer key holding the blobs the file holds, as JSON.</summary>
    public const string SourcesKey = "verdict.sources";

    /// <summary>The format's name and version.</summary>
    public const string Format = "verdict-log-compacted/1";

    /// <summary>One blob a compacted file holds.</summary>
    public sealed record Source(string Name, long Length, string? ETag);

    /// <summary>The name of a day's k-th compacted file.</summary>
    internal static string BlobName(string partition, DateOnly day, int k) =>
        string.Create(CultureInfo.InvariantCulture, $"{partition}/{day:yyyy-MM-dd}/compacted-{k:D3}.parquet");

    /// <summary>The day and index of a compacted file's name in <paramref name="partition"/>, or null when it is not one.</summary>
    internal static (DateOnly Day, int Index)? Parse(string blobName, string partition)
    {
        if (!blobName.StartsWith(partition + "/", StringComparison.Ordinal))
        {
            return null;
        }
        var rest = blobName.AsSpan(partition.Length + 1);
        const string Prefix = "/compacted-";
        return rest.Length == 10 + Prefix.Length + 3 + ".parquet".Length
            && rest[10..].StartsWith(Prefix, StringComparison.Ordinal) && rest.EndsWith(".parquet", StringComparison.Ordinal)
            && DateOnly.TryParseExact(rest[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            && int.TryParse(rest.Slice(10 + Prefix.Length, 3), NumberStyles.None, CultureInfo.InvariantCulture, out int k)
            ? (day, k)
            : null;
    }

    /// <summary>Whether a file or blob name is a compacted file (by its name, in any partition).</summary>
    public static bool IsCompacted(string name) =>
        name.EndsWith(".parquet", StringComparison.Ordinal) && Path.GetFileName(name).StartsWith("compacted-", StringComparison.Ordinal);

    /// <summary>Writes <paramref name="lines"/> as a compacted file to <paramref name="output"/>, in row groups of <paramref name="rowGroupLines"/>.</summary>
    internal static async Task<long> WriteAsync(Stream output, IAsyncEnumerable<string> lines, IReadOnlyList<Source> sources, int rowGroupLines, CancellationToken cancellationToken)
    {
        long count = 0;
        var column = new DataField<string>(LineColumn, false);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(column), output, new ParquetOptions
        {
            // Zstandard at its fastest level: 13 times smaller than the JSONL; its default level writes 100 times slower for 30 % less.
            CompressionMethod = CompressionMethod.Zstd, CompressionLevel = System.IO.Compression.CompressionLevel.Fastest,
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        writer.CustomMetadata = new Dictionary<string, string>
        {
            [FormatKey] = Format,
            [SourcesKey] = JsonSerializer.Serialize(sources, SourcesJson),
        };
        var batch = new List<string>(rowGroupLines);
        async Task FlushAsync()
        {
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(column, batch).ConfigureAwait(false);
            count += batch.Count;
            batch.Clear();
        }
        await foreach (string line in lines.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            batch.Add(line);
            if (batch.Count == rowGroupLines)
            {
                await FlushAsync().ConfigureAwait(false);
            }
        }
        if (batch.Count > 0 || count == 0)
        {
            await FlushAsync().ConfigureAwait(false);
        }
        return count;
    }

    /// <summary>The blobs a compacted file holds, from its footer.</summary>
    /// <exception cref="EventLogException">The file is not a compacted file of a known version.</exception>
    internal static async Task<IReadOnlyList<Source>> ReadSourcesAsync(Stream parquet, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parquet);
        try
        {
            await using var reader = await ParquetReader.CreateAsync(parquet, leaveStreamOpen: true, cancellationToken: cancellationToken).ConfigureAwait(false);
            return Sources(reader, name);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            throw new EventLogException($"{name}: not a compacted log file ({ex.Message})", ex);
        }
    }

    private static List<Source> Sources(ParquetReader reader, string name)
    {
        if (!reader.CustomMetadata.TryGetValue(FormatKey, out string? format) || format != Format)
        {
            throw new EventLogException($"{name}: not a compacted log file of format {Format} (its footer says '{format ?? "nothing"}')");
        }
        return reader.CustomMetadata.TryGetValue(SourcesKey, out string? json) ? JsonSerializer.Deserialize<List<Source>>(json, SourcesJson) ?? [] : [];
    }

    /// <summary>
    /// The blobs the compacted files <paramref name="compacted"/> of <paramref name="container"/> hold, by name; where two
    /// files hold one blob (a blob compacted again after it changed), the later file's entry wins.
    /// </summary>
    internal static async Task<Dictionary<string, Source>> HeldAsync(BlobContainerClient container, IEnumerable<string> compacted, CancellationToken cancellationToken)
    {
        var held = new Dictionary<string, Source>(StringComparer.Ordinal);
        foreach (string name in compacted.Order(StringComparer.Ordinal))
        {
            var stream = await container.GetBlobClient(name).OpenReadAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                foreach (var source in await ReadSourcesAsync(stream, $"{EventSources.BlobScheme}{container.Name}/{name}", cancellationToken).ConfigureAwait(false))
                {
                    held[source.Name] = source;
                }
            }
        }
        return held;
    }

    /// <summary>Whether a blob that a compacted file holds is unchanged since (its ETag): readers then skip it, and a compaction pass deletes it.</summary>
    internal static bool Unchanged(Source held, Azure.ETag? etag) => held.ETag == etag?.ToString();

    /// <summary>Writes the lines of a compacted file to <paramref name="output"/> as JSON Lines, row group by row group.</summary>
    /// <exception cref="EventLogException">The file is not a compacted file.</exception>
    internal static async Task CopyLinesAsync(Stream parquet, Stream output, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parquet);
        ArgumentNullException.ThrowIfNull(output);
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(parquet, leaveStreamOpen: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            throw new EventLogException($"{name}: not a compacted log file ({ex.Message})", ex);
        }
        await using (reader.ConfigureAwait(false))
        {
            Sources(reader, name);
            // The column as this file's schema has it: a field is bound to the schema it was read or written with.
            var column = reader.Schema.DataFields.FirstOrDefault(f => f.Name == LineColumn)
                ?? throw new EventLogException($"{name}: not a compacted log file (no column '{LineColumn}')");
            var buffer = new ArrayBufferWriter<byte>(1 << 20);
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                string?[] lines;
                try
                {
                    using var group = reader.OpenRowGroupReader(g);
                    lines = new string?[group.RowCount];
                    await group.ReadAsync(column, lines.AsMemory(), cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    throw new EventLogException($"{name}: row group {g} of the compacted log file cannot be read ({ex.Message})", ex);
                }
                // A row group's lines are encoded into one buffer and written at once.
                buffer.ResetWrittenCount();
                foreach (string? text in lines)
                {
                    int written = Encoding.UTF8.GetBytes(text ?? "", buffer.GetSpan(Encoding.UTF8.GetMaxByteCount((text ?? "").Length) + 1));
                    buffer.Advance(written);
                    buffer.GetSpan(1)[0] = (byte)'\n';
                    buffer.Advance(1);
                }
                await output.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Opens a compacted file as a stream of its JSON Lines. The lines are decoded on another thread while the caller reads
    /// them, through a pipe that holds at most a few megabytes; an error decoding reaches the caller's next read.
    /// </summary>
    internal static async Task<Stream> OpenLinesAsync(Func<CancellationToken, Task<Stream>> open, string name, CancellationToken cancellationToken)
    {
        var parquet = await open(cancellationToken).ConfigureAwait(false);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 8 << 20, resumeWriterThreshold: 4 << 20, useSynchronizationContext: false));
        _ = Task.Run(async () =>
        {
            try
            {
                await CopyLinesAsync(parquet, pipe.Writer.AsStream(), name, cancellationToken).ConfigureAwait(false);
                await pipe.Writer.CompleteAsync().ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Every failure goes to the reader, who rethrows it on its next read.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                await pipe.Writer.CompleteAsync(ex).ConfigureAwait(false);
            }
            finally
            {
                await parquet.DisposeAsync().ConfigureAwait(false);
            }
        }, CancellationToken.None);
        return pipe.Reader.AsStream();
    }

    private static readonly JsonSerializerOptions SourcesJson = new(JsonSerializerDefaults.Web);
}
