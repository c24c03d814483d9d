using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Verdict.Experimentation.Events;

/// <summary>
/// Appends events to the log in Blob storage: JSON Lines in append blobs named
/// <c>{experiment}/{yyyy-MM-dd}/{HH}/{instance}-{n}.jsonl</c> (the hour of the event's <c>ts</c>, UTC),
/// one blob per writer instance so scaled-out instances never contend. Events without an experiment go
/// to the <c>_unattributed</c> partition, which readers of every experiment include.
/// </summary>
/// <remarks>
/// <para>Events wait in a bounded buffer. A single loop commits them in groups: one append block per
/// blob per flush, so many concurrent callers share one round trip. A flush starts as soon as a caller
/// waits for durability (<see cref="AppendAsync(LogEvent, CancellationToken)"/>), or
/// <see cref="EventLogWriterOptions.FlushInterval"/> after the oldest buffered event otherwise
/// (<see cref="EnqueueAsync"/>). A process killed between the two loses what was only buffered: that
/// is the loss window of the fast mode.</para>
/// <para>Appends are conditional on the append position, so a retry after a lost response never writes a
/// block twice; a blob rolls over to the next <c>n</c> before Azure's 50,000-block limit. At least once
/// overall: a caller that retries after a failure may log an event twice, and the reader deduplicates by id.</para>
/// </remarks>
public sealed partial class EventLogWriter : IAsyncDisposable
{
    /// <summary>The container the log lives in by default.</summary>
    public const string DefaultContainer = "events";

    /// <summary>The partition of events that name no experiment.</summary>
    public const string UnattributedPartition = "_unattributed";

    private readonly BlobContainerClient _container;
    private readonly EventLogWriterOptions _options;
    private readonly TimeProvider _time;
    private readonly Channel<Pending> _buffer;
    private readonly LineChunks _lines;
    private readonly Dictionary<string, BlobState> _blobs = new(StringComparer.Ordinal);
    private readonly Task _loop;
    private readonly Lock _statisticsLock = new();
    private volatile TaskCompletionSource _wake = NewSignal();
    private readonly int _groupThreshold;
    private bool _backlog;
    private volatile bool _closing;
    private bool _containerReady;
    private long _written, _lost, _blocks, _blobsCreated, _flushes;
    private TimeSpan _maxWait;
    private Exception? _lastError;

    /// <summary>Creates a writer and starts its flush loop.</summary>
    public EventLogWriter(BlobContainerClient container, EventLogWriterOptions? options = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(container);
        options ??= new EventLogWriterOptions();
        options.Validate();
        _container = container;
        _options = options;
        _time = time ?? TimeProvider.System;
        InstanceId = options.InstanceId ?? DefaultInstanceId();
        _groupThreshold = Math.Max(1, Math.Min(options.MaxBufferedEvents / 2, options.MaxBlockBytes / 256));
        _lines = new LineChunks(maxFreeChunks: Math.Max(4, options.MaxFlushBytes / LineChunks.ChunkBytes));
        _buffer = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.MaxBufferedEvents)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>This writer's part of every blob name.</summary>
    public string InstanceId { get; }

    /// <summary>Called after each flush with the events it made durable and how long the oldest of them waited (for measurements).</summary>
    internal Action<int, TimeSpan>? Flushed { get; set; }

    /// <summary>Appends one event and returns once it is durable in Blob storage.</summary>
    /// <exception cref="EventLogWriteException">The event could not be written; it is not in the log.</exception>
    public ValueTask AppendAsync(LogEvent logEvent, CancellationToken cancellationToken = default) => AppendAsync([logEvent], cancellationToken);

    /// <summary>Appends events and returns once all of them are durable in Blob storage.</summary>
    /// <exception cref="EventLogWriteException">Some events could not be written (any others may be in the log).</exception>
    public async ValueTask AppendAsync(IReadOnlyList<LogEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return;
        }
        var lines = Serialize(events);
        var completion = new Completion(events.Count);
        for (int i = 0; i < lines.Length; i++)
        {
            try
            {
                await _buffer.Writer.WriteAsync(lines[i] with { Completion = completion }, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                Release(lines.AsSpan(i));
                throw;
            }
        }
        _wake.TrySetResult();
        await completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Buffers an event and returns at once (waiting only while the buffer is full). It becomes durable within
    /// <see cref="EventLogWriterOptions.FlushInterval"/> plus one append; a crash before that loses it.
    /// </summary>
    public async ValueTask EnqueueAsync(LogEvent logEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        var line = Serialize(logEvent, _time.GetTimestamp());
        try
        {
            await _buffer.Writer.WriteAsync(line, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            line.Chunk?.Release();
            throw;
        }
        if (_buffer.Reader.Count >= _groupThreshold)
        {
            _wake.TrySetResult();
        }
    }

    /// <summary>Returns once every event buffered before the call is durable (or has failed).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var completion = new Completion(1);
        await _buffer.Writer.WriteAsync(new Pending(null, ReadOnlyMemory<byte>.Empty, 0, completion, null), cancellationToken).ConfigureAwait(false);
        _wake.TrySetResult();
        await completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What the writer has done so far.</summary>
    public EventLogWriterStatistics Statistics
    {
        get
        {
            lock (_statisticsLock)
            {
                return new EventLogWriterStatistics(_written, _lost, _blocks, _blobsCreated, _flushes, _maxWait, _lastError?.Message);
            }
        }
    }

    /// <summary>Writes everything buffered, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _closing = true;
        _buffer.Writer.TryComplete();
        _wake.TrySetResult();
        await _loop.ConfigureAwait(false);
        _lines.Close();
    }

    /// <summary>The partition (first path segment) of an event's blobs.</summary>
    internal static string PartitionOf(string? experiment) => experiment ?? UnattributedPartition;

    /// <summary>The blob-name prefix of a partition's hour: <c>{partition}/{yyyy-MM-dd}/{HH}/</c>.</summary>
    internal static string HourPrefix(string partition, DateTime utcHour) =>
        string.Create(CultureInfo.InvariantCulture, $"{partition}/{utcHour:yyyy-MM-dd}/{utcHour:HH}/");

    /// <summary>The hour of a blob named by <see cref="HourPrefix"/> under <paramref name="partition"/>; null for any other name.</summary>
    internal static DateTime? HourOf(string blobName, string partition)
    {
        if (!blobName.StartsWith(partition + "/", StringComparison.Ordinal))
        {
            return null;
        }
        var rest = blobName.AsSpan(partition.Length + 1);
        return rest.Length > 14 && rest[10] == '/' && rest[13] == '/'
            && DateTime.TryParseExact(rest[..13], "yyyy-MM-dd'/'HH", CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var hour)
            ? hour
            : null;
    }

    private Pending[] Serialize(IReadOnlyList<LogEvent> events)
    {
        var result = new Pending[events.Count];
        long now = _time.GetTimestamp();
        int i = 0;
        try
        {
            for (; i < events.Count; i++)
            {
                result[i] = Serialize(events[i] ?? throw new ArgumentException($"events[{i}] is null", nameof(events)), now);
            }
        }
        catch
        {
            Release(result.AsSpan(0, i));
            throw;
        }
        return result;
    }

    /// <summary>One event as a JSON line with its blob prefix; a thread's writer and buffer are reused, the line is copied into a chunk.</summary>
    private Pending Serialize(LogEvent e, long now)
    {
        string prefix = PrefixOf(e);
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var json = t_json ??= new Utf8JsonWriter(buffer);
        json.Reset(buffer);
        e.WriteTo(json);
        json.Flush();
        buffer.Write("\n"u8);
        if (buffer.WrittenCount > _options.MaxBlockBytes)
        {
            throw new ArgumentException($"event '{e.Id}' takes {buffer.WrittenCount} bytes, more than a block ({_options.MaxBlockBytes})", nameof(e));
        }
        var (chunk, line) = _lines.Add(buffer.WrittenSpan);
        return new Pending(prefix, line, now, null, chunk);
    }

    /// <summary>The event's partition-hour prefix, checked and built once per change of experiment or hour.</summary>
    private string PrefixOf(LogEvent e)
    {
        long ticks = e.Ts.UtcTicks;
        long hour = ticks - (ticks % TimeSpan.TicksPerHour);
        var cached = _prefixCache;
        if (cached is not null && cached.HourTicks == hour && string.Equals(cached.Experiment, e.Experiment, StringComparison.Ordinal))
        {
            return cached.Prefix;
        }
        if (e.Experiment is { } experiment && !PartitionPattern().IsMatch(experiment))
        {
            throw new ArgumentException($"experiment '{experiment}' cannot name a log partition (letters, digits, '.', '_' and '-', at most 128)", nameof(e));
        }
        string prefix = HourPrefix(e.Partition, new DateTime(hour, DateTimeKind.Utc));
        _prefixCache = new PrefixCache(e.Experiment, hour, prefix);
        return prefix;
    }

    private async Task RunAsync()
    {
        var reader = _buffer.Reader;
        var batch = new List<Pending>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            await WaitForGroupAsync(reader).ConfigureAwait(false);
            _wake = NewSignal();
            long bytes = 0;
            while (bytes < _options.MaxFlushBytes && reader.TryRead(out var item))
            {
                batch.Add(item);
                bytes += item.Line.Length;
            }
            _backlog = bytes >= _options.MaxFlushBytes;
            await FlushBatchAsync(batch).ConfigureAwait(false);
            batch.Clear();
        }
    }

    /// <summary>Waits until the buffer should be flushed: a durable caller is waiting, it is full enough, the interval has passed, or the writer is closing.</summary>
    private async Task WaitForGroupAsync(ChannelReader<Pending> reader)
    {
        if (!reader.TryPeek(out var oldest))
        {
            return;
        }
        var waited = _time.GetElapsedTime(oldest.EnqueuedAt);
        var remaining = _options.FlushInterval - waited;
        if (remaining <= TimeSpan.Zero || _backlog || _closing || _wake.Task.IsCompleted)
        {
            return;
        }
        using var cancel = new CancellationTokenSource();
        var delay = Task.Delay(remaining, _time, cancel.Token);
        await Task.WhenAny(delay, _wake.Task).ConfigureAwait(false);
        await cancel.CancelAsync().ConfigureAwait(false);
    }

    private async Task FlushBatchAsync(List<Pending> batch)
    {
        var groups = new Dictionary<string, List<Pending>>(StringComparer.Ordinal);
        foreach (var item in batch)
        {
            if (item.Prefix is null)
            {
                continue;
            }
            if (!groups.TryGetValue(item.Prefix, out var list))
            {
                groups[item.Prefix] = list = [];
            }
            list.Add(item);
        }

        var failures = new Dictionary<string, Exception>(StringComparer.Ordinal);
        if (groups.Count > 0)
        {
            try
            {
                await EnsureContainerAsync().ConfigureAwait(false);
                var tasks = groups.Select(g => WriteGroupAsync(StateOf(g.Key), g.Value)).ToArray();
                var results = await Task.WhenAll(tasks).ConfigureAwait(false);
                foreach (var (prefix, error) in results)
                {
                    if (error is not null)
                    {
                        failures[prefix] = error;
                    }
                }
            }
            catch (Exception ex)
            {
                // Whatever goes wrong fails this flush's callers; the loop itself must live on, or every later caller would wait forever.
                foreach (var prefix in groups.Keys)
                {
                    failures[prefix] = ex;
                }
            }
        }

        long written = 0, lost = 0;
        TimeSpan oldest = TimeSpan.Zero;
        foreach (var item in batch)
        {
            if (item.Prefix is not null && failures.TryGetValue(item.Prefix, out var error))
            {
                lost++;
                item.Completion?.Fail(new EventLogWriteException($"events could not be appended under {item.Prefix}: {error.Message}", error));
                continue;
            }
            if (item.Prefix is not null)
            {
                written++;
                var waited = _time.GetElapsedTime(item.EnqueuedAt);
                oldest = waited > oldest ? waited : oldest;
            }
            item.Completion?.Signal();
        }
        Release(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batch));
        lock (_statisticsLock)
        {
            _written += written;
            _lost += lost;
            _flushes++;
            _maxWait = oldest > _maxWait ? oldest : _maxWait;
            _lastError = failures.Count > 0 ? failures.Values.First() : _lastError;
        }
        if (written > 0)
        {
            Flushed?.Invoke((int)written, oldest);
        }
        if (_blobs.Count > 256)
        {
            foreach (var stale in _blobs.Where(b => !groups.ContainsKey(b.Key)).Select(b => b.Key).ToList())
            {
                _blobs.Remove(stale);
            }
        }
    }

    private async Task EnsureContainerAsync()
    {
        if (!_containerReady)
        {
            await _container.CreateIfNotExistsAsync().ConfigureAwait(false);
            _containerReady = true;
        }
    }

    private BlobState StateOf(string prefix)
    {
        if (!_blobs.TryGetValue(prefix, out var state))
        {
            _blobs[prefix] = state = new BlobState(prefix);
        }
        return state;
    }

    private async Task<(string Prefix, Exception? Error)> WriteGroupAsync(BlobState state, List<Pending> items)
    {
        string prefix = state.Prefix;
        byte[] block = ArrayPool<byte>.Shared.Rent(_options.MaxBlockBytes);
        try
        {
            int used = 0;
            foreach (var item in items)
            {
                if (used + item.Line.Length > _options.MaxBlockBytes && used > 0)
                {
                    await AppendBlockAsync(state, new ArraySegment<byte>(block, 0, used)).ConfigureAwait(false);
                    used = 0;
                }
                item.Line.Span.CopyTo(block.AsSpan(used));
                used += item.Line.Length;
            }
            if (used > 0)
            {
                await AppendBlockAsync(state, new ArraySegment<byte>(block, 0, used)).ConfigureAwait(false);
            }
            return (prefix, null);
        }
        catch (Exception ex)
        {
            return (prefix, ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    /// <summary>Appends one block at the position the writer expects, rolling over to a new blob when needed.</summary>
    private async Task AppendBlockAsync(BlobState state, ArraySegment<byte> block)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                if (state.Client is null || state.Blocks >= _options.MaxBlocksPerBlob)
                {
                    await RollOverAsync(state).ConfigureAwait(false);
                }
                var client = state.Client!;
                using var content = new MemoryStream(block.Array!, block.Offset, block.Count, writable: false);
                await client.AppendBlockAsync(content, new AppendBlobAppendBlockOptions
                {
                    Conditions = new AppendBlobRequestConditions { IfAppendPositionEqual = state.Length },
                }).ConfigureAwait(false);
                Advance(state, block.Count);
                return;
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                // The position moved: either an earlier attempt of this block landed and only its response was
                // lost, or the blob is not what this writer thinks. Check, and if unsure continue in a new blob.
                var properties = await state.Client!.GetPropertiesAsync().ConfigureAwait(false);
                if (properties.Value.ContentLength == state.Length + block.Count && properties.Value.BlobCommittedBlockCount == state.Blocks + 1)
                {
                    Advance(state, block.Count);
                    return;
                }
                state.Client = null;
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                _containerReady = false;
                await EnsureContainerAsync().ConfigureAwait(false);
                state.Client = null;
            }
            catch (Exception ex) when (attempt < _options.MaxAttempts && ex is RequestFailedException or IOException or TimeoutException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50 * (1 << Math.Min(attempt, 6))), _time).ConfigureAwait(false);
            }
            if (attempt >= _options.MaxAttempts)
            {
                throw new EventLogWriteException($"gave up after {attempt} attempts to append under {state.Prefix}");
            }
        }
    }

    private void Advance(BlobState state, int length)
    {
        state.Length += length;
        state.Blocks++;
        lock (_statisticsLock)
        {
            _blocks++;
        }
    }

    private async Task RollOverAsync(BlobState state)
    {
        while (true)
        {
            state.Sequence++;
            var client = _container.GetAppendBlobClient(string.Create(CultureInfo.InvariantCulture, $"{state.Prefix}{InstanceId}-{state.Sequence:D5}.jsonl"));
            try
            {
                await client.CreateAsync(new AppendBlobCreateOptions
                {
                    HttpHeaders = new BlobHttpHeaders { ContentType = "application/x-ndjson" },
                    Conditions = new AppendBlobRequestConditions { IfNoneMatch = ETag.All },
                }).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                continue; // a blob of that name exists (an earlier writer with this instance id): take the next.
            }
            state.Client = client;
            state.Blocks = 0;
            state.Length = 0;
            lock (_statisticsLock)
            {
                _blobsCreated++;
            }
            return;
        }
    }

    private static string DefaultInstanceId()
    {
        string machine = new([.. Environment.MachineName.Where(char.IsAsciiLetterOrDigit).Take(24)]);
        return string.Create(CultureInfo.InvariantCulture, $"{(machine.Length == 0 ? "host" : machine)}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
    }

    private static void Release(ReadOnlySpan<Pending> lines)
    {
        foreach (var line in lines)
        {
            line.Chunk?.Release();
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    internal static partial Regex PartitionPattern();

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_json;

    private PrefixCache? _prefixCache;

    private sealed record PrefixCache(string? Experiment, long HourTicks, string Prefix);

    /// <summary>A buffered line; <paramref name="Chunk"/> holds its bytes until the flush releases it.</summary>
    private readonly record struct Pending(string? Prefix, ReadOnlyMemory<byte> Line, long EnqueuedAt, Completion? Completion, LineChunks.Chunk? Chunk);

    private sealed class BlobState(string prefix)
    {
        public string Prefix { get; } = prefix;

        public AppendBlobClient? Client { get; set; }

        public int Sequence { get; set; } = -1;

        public int Blocks { get; set; }

        public long Length { get; set; }
    }

    /// <summary>Completes when all of a caller's events are durable, or fails with the first error.</summary>
    private sealed class Completion(int count)
    {
        private readonly TaskCompletionSource _done = NewSignal();
        private int _remaining = count;

        public Task Task => _done.Task;

        public void Signal()
        {
            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                _done.TrySetResult();
            }
        }

        public void Fail(Exception error) => _done.TrySetException(error);
    }
}

/// <summary>Options of <see cref="EventLogWriter"/>.</summary>
public sealed class EventLogWriterOptions
{
    /// <summary>This writer's part of every blob name; by default machine, process id and a random suffix. Letters, digits, '.', '_' and '-'.</summary>
    public string? InstanceId { get; set; }

    /// <summary>How long a buffered event may wait for its group commit when nobody waits for it (default 200 ms).</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Events the buffer holds before callers wait (default 100,000).</summary>
    public int MaxBufferedEvents { get; set; } = 100_000;

    /// <summary>Largest append block in bytes (default and Azure's limit: 4 MiB).</summary>
    public int MaxBlockBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Bytes taken from the buffer by one flush (default 16 MiB).</summary>
    public int MaxFlushBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Blocks after which a blob rolls over to the next (default 49,000; Azure's limit is 50,000).</summary>
    public int MaxBlocksPerBlob { get; set; } = 49_000;

    /// <summary>Attempts per block before the events of that flush fail (default 6), on top of the storage client's own retries.</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>Throws when an option is out of range.</summary>
    public void Validate()
    {
        if (InstanceId is not null && !EventLogWriter.PartitionPattern().IsMatch(InstanceId))
        {
            throw new ArgumentException("InstanceId may hold letters, digits, '.', '_' and '-' (at most 128)", nameof(InstanceId));
        }
        if (FlushInterval < TimeSpan.Zero || FlushInterval > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentOutOfRangeException(nameof(FlushInterval), FlushInterval, "FlushInterval must be between 0 and 1 minute.");
        }
        if (MaxBufferedEvents < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBufferedEvents), MaxBufferedEvents, "MaxBufferedEvents must be at least 1.");
        }
        if (MaxBlockBytes is < 1024 or > 4 * 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBlockBytes), MaxBlockBytes, "MaxBlockBytes must be between 1 KiB and 4 MiB.");
        }
        if (MaxFlushBytes < MaxBlockBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxFlushBytes), MaxFlushBytes, "MaxFlushBytes must be at least MaxBlockBytes.");
        }
        if (MaxBlocksPerBlob is < 1 or > 50_000)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBlocksPerBlob), MaxBlocksPerBlob, "MaxBlocksPerBlob must be between 1 and 50,000.");
        }
        if (MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "MaxAttempts must be at least 1.");
        }
    }
}

/// <summary>What an <see cref="EventLogWriter"/> has done.</summary>
/// <param name="EventsWritten">Events made durable.</param>
/// <param name="EventsLost">Events that could not be appended (their durable callers got the error).</param>
/// <param name="BlocksAppended">Append blocks written.</param>
/// <param name="BlobsCreated">Blobs created (one per partition-hour, plus rollovers).</param>
/// <param name="Flushes">Group commits.</param>
/// <param name="MaxWait">The longest an event waited in the buffer before it was durable: the observed loss window of the fast mode.</param>
/// <param name="LastError">The last append failure, if any.</param>
public sealed record EventLogWriterStatistics(long EventsWritten, long EventsLost, long BlocksAppended, long BlobsCreated, long Flushes, TimeSpan MaxWait, string? LastError);

/// <summary>Events could not be appended to the log.</summary>
public sealed class EventLogWriteException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EventLogWriteException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public EventLogWriteException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public EventLogWriteException()
    {
    }
}
