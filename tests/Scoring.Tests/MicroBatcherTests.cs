using System.Collections.Concurrent;
using System.Diagnostics;
using Verdict.Scoring.Batching;

namespace Verdict.Scoring.Tests;

public sealed class MicroBatcherTests
{
    private static ValueTask<IReadOnlyList<int>> Square(IReadOnlyList<int> items, CancellationToken ct) =>
        ValueTask.FromResult<IReadOnlyList<int>>([.. items.Select(i => i * i)]);

    [Fact]
    public async Task ConcurrentCallers_EachGetTheResultOfTheirOwnItem_InBatchesNoLargerThanTheLimit()
    {
        var sizes = new ConcurrentBag<int>();
        await using var batcher = new MicroBatcher<int, int>((items, ct) =>
        {
            sizes.Add(items.Count);
            return Square(items, ct);
        }, new MicroBatcherOptions { MaxBatchSize = 8, MaxWait = TimeSpan.FromMilliseconds(20) });

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () => (i, await batcher.RunAsync(i)))));

        Assert.All(results, r => Assert.Equal(r.i * r.i, r.Item2));
        Assert.All(sizes, s => Assert.InRange(s, 1, 8));
        Assert.Equal(200, sizes.Sum());
        Assert.True(sizes.Count < 200, "calls were gathered into batches");
        Assert.Equal((batcher.Batches, batcher.Items), ((long)sizes.Count, 200L));
    }

    [Fact]
    public async Task WithinABatch_ResultsFollowTheItemsOrder()
    {
        var seen = new ConcurrentQueue<IReadOnlyList<string>>();
        await using var batcher = new MicroBatcher<string, string>((items, _) =>
        {
            seen.Enqueue(items);
            return ValueTask.FromResult<IReadOnlyList<string>>([.. items.Select(s => s.ToUpperInvariant())]);
        }, new MicroBatcherOptions { MaxBatchSize = 4, MaxWait = TimeSpan.FromMilliseconds(200) });

        var calls = new[] { "a", "b", "c", "d" }.Select(s => batcher.RunAsync(s).AsTask()).ToArray();
        var results = await Task.WhenAll(calls);

        Assert.Equal(["A", "B", "C", "D"], results);
        var only = Assert.Single(seen);
        Assert.Equal(["a", "b", "c", "d"], only);
    }

    [Fact]
    public async Task ALoneItem_RunsOnceMaxWaitHasPassed_NotBefore()
    {
        var wait = TimeSpan.FromMilliseconds(150);
        await using var batcher = new MicroBatcher<int, int>(Square, new MicroBatcherOptions { MaxBatchSize = 32, MaxWait = wait });

        var clock = Stopwatch.StartNew();
        int result = await batcher.RunAsync(7);

        Assert.Equal(49, result);
        Assert.InRange(clock.Elapsed, wait - TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task AFullBatch_RunsWithoutWaitingOutMaxWait()
    {
        await using var batcher = new MicroBatcher<int, int>(Square, new MicroBatcherOptions { MaxBatchSize = 4, MaxWait = TimeSpan.FromSeconds(10) });

        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => batcher.RunAsync(i).AsTask()));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task ACallerThatCancelsBeforeItsBatch_IsLeftOutOfIt()
    {
        var ran = new ConcurrentBag<int>();
        await using var batcher = new MicroBatcher<int, int>((items, ct) =>
        {
            foreach (int i in items)
            {
                ran.Add(i);
            }
            return Square(items, ct);
        }, new MicroBatcherOptions { MaxBatchSize = 8, MaxWait = TimeSpan.FromMilliseconds(300) });
        using var cancel = new CancellationTokenSource();

        var kept = batcher.RunAsync(1).AsTask();
        var dropped = batcher.RunAsync(2, cancel.Token).AsTask();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dropped);
        Assert.Equal(1, await kept);
        Assert.Equal([1], ran);
    }

    [Fact]
    public async Task AFailingBatch_FailsOnlyItsCallers_AndTheNextBatchRuns()
    {
        int calls = 0;
        await using var batcher = new MicroBatcher<int, int>((items, ct) =>
            Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("GPU fell over") : Square(items, ct),
            new MicroBatcherOptions { MaxBatchSize = 2, MaxWait = TimeSpan.Zero });

        var failed = await Assert.ThrowsAsync<InvalidOperationException>(async () => await batcher.RunAsync(3));
        int after = await batcher.RunAsync(4);

        Assert.Equal("GPU fell over", failed.Message);
        Assert.Equal(16, after);
    }

    [Fact]
    public async Task AResultCountThatDoesNotMatch_FailsTheBatchWithTheReason()
    {
        await using var batcher = new MicroBatcher<int, int>((_, _) => ValueTask.FromResult<IReadOnlyList<int>>([]), new MicroBatcherOptions { MaxWait = TimeSpan.Zero });

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await batcher.RunAsync(1));

        Assert.Contains("0 results for 1 items", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AfterDispose_CallsAreRefused()
    {
        var batcher = new MicroBatcher<int, int>(Square);
        await batcher.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await batcher.RunAsync(1));
    }

    [Theory]
    [InlineData(0, 2, 64, "MaxBatchSize")]
    [InlineData(8, -1, 64, "MaxWait")]
    [InlineData(8, 2, 4, "QueueCapacity")]
    public void Options_OutOfRange_AreRefusedNamingTheSetting(int size, int waitMs, int capacity, string name)
    {
        var options = new MicroBatcherOptions { MaxBatchSize = size, MaxWait = TimeSpan.FromMilliseconds(waitMs), QueueCapacity = capacity };

        var ex = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);

        Assert.Equal(name, ex.ParamName);
    }
}
