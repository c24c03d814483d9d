using System.Threading.Channels;

namespace Verdict.Scoring.Batching;

/// <summary>Settings of a <see cref="MicroBatcher{TIn, TOut}"/>.</summary>
public sealed record MicroBatcherOptions
{
    /// <summary>Most items in one batch.</summary>
    public int MaxBatchSize { get; init; } = 32;

    /// <summary>
    /// Longest an item waits for company: a batch is run when it is full, or this long after its first item
    /// arrived, whichever comes first. Zero runs whatever has queued up at once.
    /// </summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Most items waiting for a batch; callers beyond it wait for room.</summary>
    public int QueueCapacity { get; init; } = 4096;

    /// <summary>Throws when a setting is out of range, naming it.</summary>
    public void Validate()
    {
        if (MaxBatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "must be at least 1");
        }
        if (MaxWait < TimeSpan.Zero || MaxWait > TimeSpan.FromSeconds(10))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxWait), MaxWait, "must be from 0 to 10 seconds");
        }
        if (QueueCapacity < MaxBatchSize)
        {
            throw new ArgumentOutOfRangeException(nameof(QueueCapacity), QueueCapacity, "must be at least MaxBatchSize");
        }
    }
}

/// <summary>
/// Gathers concurrent single-item calls into batches for a function that is cheaper per item in bulk (a GPU
/// session runs one stream at a time, so a batch of 32 costs little more than one text). Results come back
/// to each caller in order of its item; a failing batch fails only its own callers; a caller that gives up
/// before its batch starts is left out of it. One batch runs at a time.
/// </summary>
/// <typeparam name="TIn">An item.</typeparam>
/// <typeparam name="TOut">Its result.</typeparam>
public sealed class MicroBatcher<TIn, TOut> : IAsyncDisposable
{
    private readonly Func<IReadOnlyList<TIn>, CancellationToken, ValueTask<IReadOnlyList<TOut>>> _run;
    private readonly MicroBatcherOptions _options;
    private readonly TimeProvider _time;
    private readonly Channel<Pending> _queue;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _batches;
    private long _items;

    /// <summary>Starts the batching loop.</summary>
    /// <param name="run">Runs one batch; must return one result per item, in order.</param>
    /// <param name="options">Batch size and wait; defaults when null.</param>
    /// <param name="time">The clock for the wait; the system clock when null.</param>
    public MicroBatcher(Func<IReadOnlyList<TIn>, CancellationToken, ValueTask<IReadOnlyList<TOut>>> run, MicroBatcherOptions? options = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        _run = run;
        _options = options ?? new MicroBatcherOptions();
        _options.Validate();
        _time = time ?? TimeProvider.System;
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Batches run so far.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Items run so far (their mean per batch is the batching achieved).</summary>
    public long Items => Interlocked.Read(ref _items);

    /// <summary>Queues <paramref name="item"/> and returns its result once its batch has run.</summary>
    public async ValueTask<TOut> RunAsync(TIn item, CancellationToken cancellationToken = default)
    {
        var pending = new Pending(item);
        try
        {
            await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(MicroBatcher<TIn, TOut>));
        }
        using (cancellationToken.UnsafeRegister(static p => ((Pending)p!).Result.TrySetCanceled(), pending))
        {
            return await pending.Result.Task.ConfigureAwait(false);
        }
    }

    private async Task LoopAsync()
    {
        var batch = new List<Pending>(_options.MaxBatchSize);
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                batch.Clear();
                await FillAsync(batch, reader).ConfigureAwait(false);
                batch.RemoveAll(p => p.Result.Task.IsCompleted);
                if (batch.Count > 0)
                {
                    await RunBatchAsync(batch).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        foreach (var p in batch)
        {
            p.Result.TrySetException(new ObjectDisposedException(nameof(MicroBatcher<TIn, TOut>)));
        }
        while (reader.TryRead(out var left))
        {
            left.Result.TrySetException(new ObjectDisposedException(nameof(MicroBatcher<TIn, TOut>)));
        }
    }

    /// <summary>Takes what is queued, then waits for more until the batch is full or the first item has waited <c>MaxWait</c>.</summary>
    private async Task FillAsync(List<Pending> batch, ChannelReader<Pending> reader)
    {
        while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var p))
        {
            batch.Add(p);
        }
        if (batch.Count >= _options.MaxBatchSize || _options.MaxWait == TimeSpan.Zero)
        {
            return;
        }
        using var timeout = new CancellationTokenSource(_options.MaxWait, _time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, timeout.Token);
        try
        {
            while (batch.Count < _options.MaxBatchSize && await reader.WaitToReadAsync(deadline.Token).ConfigureAwait(false))
            {
                while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var p))
                {
                    batch.Add(p);
                }
            }
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            // The wait is over: run what there is.
        }
    }

    private async Task RunBatchAsync(List<Pending> batch)
    {
        var items = new TIn[batch.Count];
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = batch[i].Item;
        }
        try
        {
            var results = await _run(items, _stop.Token).ConfigureAwait(false);
            if (results.Count != items.Length)
            {
                throw new InvalidOperationException($"the batch function returned {results.Count} results for {items.Length} items");
            }
            for (int i = 0; i < batch.Count; i++)
            {
                batch[i].Result.TrySetResult(results[i]);
            }
        }
        catch (Exception ex)
        {
            foreach (var p in batch)
            {
                p.Result.TrySetException(ex);
            }
        }
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _items, batch.Count);
    }

    /// <summary>Stops taking items, fails those still waiting, and waits for the running batch to end.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private sealed class Pending(TIn item)
    {
        public TIn Item { get; } = item;

        public TaskCompletionSource<TOut> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
