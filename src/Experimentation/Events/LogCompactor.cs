using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Verdict.Experimentation.Events;

/// <summary>Settings of <see cref="LogCompactor"/>.</summary>
public sealed record LogCompactionOptions
{
    /// <summary>How long after a day ends (UTC) its hourly blobs are compacted. Writers stamp events as they log them and flush within seconds, so a day is closed long before.</summary>
    public TimeSpan ClosedAfter { get; init; } = TimeSpan.FromHours(6);

    /// <summary>Lines per Parquet row group: what one row group holds in memory when it is written or read.</summary>
    public int RowGroupLines { get; init; } = 100_000;

    /// <summary>The settings' problems, or none.</summary>
    public IEnumerable<string> Problems()
    {
        if (ClosedAfter < TimeSpan.FromHours(1))
        {
            yield return $"ClosedAfter must be at least one hour (a writer's buffered events must have landed); it is {ClosedAfter}";
        }
        if (RowGroupLines is < 1_000 or > 10_000_000)
        {
            yield return $"RowGroupLines must be between 1,000 and 10,000,000; it is {RowGroupLines}";
        }
    }
}

/// <summary>What one compaction did to one day of one partition.</summary>
/// <param name="Partition">The experiment, or the unattributed partition.</param>
/// <param name="Day">The day (UTC).</param>
/// <param name="Compacted">The compacted file written, or null when the pass only removed blobs an earlier file holds.</param>
/// <param name="Lines">Lines written.</param>
/// <param name="SourceBytes">Bytes of the hourly blobs written into it.</param>
/// <param name="CompactedBytes">Bytes of the compacted file.</param>
/// <param name="Deleted">Hourly blobs deleted.</param>
/// <param name="KeptChanged">Hourly blobs written into a compacted file but not deleted: changed since they were read, or locked (a lease). Readers skip them while unchanged; the next pass deletes or compacts them again.</param>
public sealed record CompactedDay(string Partition, DateOnly Day, string? Compacted, long Lines, long SourceBytes, long CompactedBytes, int Deleted, int KeptChanged);

/// <summary>
/// Rewrites the closed days of the event log (docs/compaction.md): per partition and day, the hourly JSONL blobs become one
/// Parquet file (<see cref="CompactedLog"/>), and then are deleted. Every step is safe to repeat: the compacted file is
/// uploaded whole before any blob is deleted, a blob is deleted only if it is unchanged since it was read (its ETag), and
/// a pass first finishes what an interrupted one left. Readers skip the blobs a compacted file holds, so a day reads the
/// same before, during and after its compaction.
/// </summary>
public sealed class LogCompactor
{
    private readonly BlobContainerClient _container;
    private readonly LogCompactionOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates a compactor of the log in <paramref name="container"/>.</summary>
    /// <exception cref="ArgumentException">The options have a problem.</exception>
    public LogCompactor(BlobContainerClient container, LogCompactionOptions? options = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(container);
        _container = container;
        _options = options ?? new LogCompactionOptions();
        string? problem = _options.Problems().FirstOrDefault();
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(options));
        }
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Compacts every closed day that has hourly blobs, and finishes interrupted compactions.</summary>
    public async Task<IReadOnlyList<CompactedDay>> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var hourly = new Dictionary<(string Partition, DateOnly Day), List<BlobItem>>();
        var compacted = new Dictionary<(string Partition, DateOnly Day), List<(string Name, int Index)>>();
        if (!await _container.ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            return [];
        }
        await foreach (var item in _container.GetBlobsAsync(new GetBlobsOptions(), cancellationToken).ConfigureAwait(false))
        {
            int slash = item.Name.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0)
            {
                continue;
            }
            string partition = item.Name[..slash];
            if (EventLogWriter.HourOf(item.Name, partition) is { } hour && item.Name.EndsWith(".jsonl", StringComparison.Ordinal))
            {
                var key = (partition, DateOnly.FromDateTime(hour));
                (hourly.TryGetValue(key, out var list) ? list : hourly[key] = []).Add(item);
            }
            else if (CompactedLog.Parse(item.Name, partition) is { } file)
            {
                var key = (partition, file.Day);
                (compacted.TryGetValue(key, out var list) ? list : compacted[key] = []).Add((item.Name, file.Index));
            }
        }
        var now = _time.GetUtcNow();
        var done = new List<CompactedDay>();
        foreach (var ((partition, day), blobs) in hourly.OrderBy(h => h.Key.Partition, StringComparer.Ordinal).ThenBy(h => h.Key.Day))
        {
            var closedAt = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddDays(1) + _options.ClosedAfter;
            if (now < closedAt)
            {
                continue;
            }
            done.Add(await CompactDayAsync(partition, day, blobs, compacted.GetValueOrDefault((partition, day)) ?? [], cancellationToken).ConfigureAwait(false));
        }
        return done;
    }

    private async Task<CompactedDay> CompactDayAsync(string partition, DateOnly day, List<BlobItem> blobs, List<(string Name, int Index)> existing, CancellationToken cancellationToken)
    {
        // Blobs an earlier compacted file holds: delete them if unchanged (a pass interrupted before its deletes). One that
        // changed since (appended to, or written again) is compacted again: readers read it whole until then.
        var held = await CompactedLog.HeldAsync(_container, existing.Select(e => e.Name), cancellationToken).ConfigureAwait(false);
        int deleted = 0, kept = 0;
        var fresh = new List<BlobItem>();
        foreach (var blob in blobs.OrderBy(b => b.Name, StringComparer.Ordinal))
        {
            if (held.TryGetValue(blob.Name, out var source) && CompactedLog.Unchanged(source, blob.Properties.ETag))
            {
                if (await DeleteIfUnchangedAsync(blob.Name, source.ETag, cancellationToken).ConfigureAwait(false))
                {
                    deleted++;
                }
                else
                {
                    kept++;
                }
            }
            else
            {
                fresh.Add(blob);
            }
        }
        if (fresh.Count == 0)
        {
            return new CompactedDay(partition, day, null, 0, 0, 0, deleted, kept);
        }

        // Each blob is read once, at the ETag listed: a blob appended to meanwhile fails the read (412) and is left for the next pass.
        var sources = fresh.Select(b => new CompactedLog.Source(b.Name, b.Properties.ContentLength ?? 0, b.Properties.ETag?.ToString())).ToList();
        int index = existing.Count == 0 ? 1 : existing.Max(e => e.Index) + 1;
        string target = CompactedLog.BlobName(partition, day, index);
        string temp = Path.Combine(Path.GetTempPath(), $"verdict-compaction-{Guid.NewGuid():N}.parquet");
        try
        {
            long lines;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16))
            {
                lines = await CompactedLog.WriteAsync(file, LinesAsync(sources, cancellationToken), sources, _options.RowGroupLines, cancellationToken).ConfigureAwait(false);
            }
            long size = new FileInfo(temp).Length;
            // Uploaded whole (one request or a committed block list): readers see the file complete or not at all. Never over another file.
            await _container.GetBlobClient(target).UploadAsync(temp, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken).ConfigureAwait(false);
            foreach (var source in sources)
            {
                if (await DeleteIfUnchangedAsync(source.Name, source.ETag, cancellationToken).ConfigureAwait(false))
                {
                    deleted++;
                }
                else
                {
                    kept++;
                }
            }
            return new CompactedDay(partition, day, target, lines, sources.Sum(s => s.Length), size, deleted, kept);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private async IAsyncEnumerable<string> LinesAsync(List<CompactedLog.Source> sources, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var source in sources)
        {
            var options = new BlobOpenReadOptions(allowModifications: false)
            {
                Conditions = source.ETag is null ? null : new BlobRequestConditions { IfMatch = new ETag(source.ETag) },
            };
            var stream = await _container.GetBlobClient(source.Name).OpenReadAsync(options, cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                using var reader = new StreamReader(stream);
                while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
                {
                    // The reader ignores blank lines; every other line is kept as it was written.
                    if (!string.IsNullOrWhiteSpace(line))
                    {
                        yield return line;
                    }
                }
            }
        }
    }

    private async Task<bool> DeleteIfUnchangedAsync(string name, string? etag, CancellationToken cancellationToken)
    {
        try
        {
            var conditions = etag is null ? null : new BlobRequestConditions { IfMatch = new ETag(etag) };
            await _container.GetBlobClient(name).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, conditions, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return false;
        }
    }
}
