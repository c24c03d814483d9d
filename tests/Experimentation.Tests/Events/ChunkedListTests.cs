using Verdict.Experimentation.Events;

namespace Verdict.Experimentation.Tests.Events;

public sealed class ChunkedListTests
{
    [Fact]
    public void Add_AcrossGrowingChunks_KeepsEveryItemAtItsIndex()
    {
        // 4,096 + 8,192 + … : 300,000 items span seven chunks, the last one partly filled.
        var list = new ChunkedList<long>();
        for (int i = 0; i < 300_000; i++)
        {
            Assert.Equal(i, list.Add(i * 7L));
        }

        Assert.Equal(300_000, list.Count);
        foreach (int i in new[] { 0, 4_095, 4_096, 12_287, 12_288, 28_671, 28_672, 299_999 })
        {
            Assert.Equal(i * 7L, list[i]);
        }
        Assert.True(Enumerable.Range(0, list.Count).All(i => list[i] == i * 7L));
    }

    [Fact]
    public void Indexer_ReturnsAReferenceThatUpdatesInPlace()
    {
        var list = new ChunkedList<int>();
        for (int i = 0; i < 10_000; i++)
        {
            list.Add(i);
        }

        list[9_000] += 5;

        Assert.Equal(9_005, list[9_000]);
    }

    [Fact]
    public void LargeArrays_ZeroedOnRequest_EvenWhereTheHeapReusesMemory()
    {
        // Dirty the pinned heap, drop it, and ask again: a zeroed array must read zero whatever memory it got.
        for (int round = 0; round < 3; round++)
        {
            var dirty = LargeArrays.Allocate<uint>(1 << 21, zeroed: false);
            Array.Fill(dirty, 0xDEADBEEF);
            GC.KeepAlive(dirty);
            GC.Collect();
            var table = LargeArrays.Allocate<uint>(1 << 21, zeroed: true);
            Assert.True(table.AsSpan().IndexOfAnyExcept(0u) < 0);
        }
    }
}
