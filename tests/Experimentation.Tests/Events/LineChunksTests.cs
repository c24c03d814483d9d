using System.Text;
using Verdict.Experimentation.Events;

namespace Verdict.Experimentation.Tests.Events;

public sealed class LineChunksTests
{
    private static byte[] Line(int i) => Encoding.UTF8.GetBytes($"{{\"id\":\"e{i}\",\"pad\":\"{new string('x', i % 700)}\"}}\n");

    [Fact]
    public void Add_ManyLinesAcrossChunks_KeepsEveryLineIntact()
    {
        var store = new LineChunks(maxFreeChunks: 4);
        var held = new List<(LineChunks.Chunk Chunk, ReadOnlyMemory<byte> Line)>();
        for (int i = 0; i < 2_000; i++)
        {
            held.Add(store.Add(Line(i)));
        }

        // About 770 KB of lines: several chunks, none of them reused while their lines are held.
        Assert.InRange(store.Allocated, 5, 8);
        for (int i = 0; i < held.Count; i++)
        {
            Assert.Equal(Line(i), held[i].Line.ToArray());
        }
    }

    [Fact]
    public void Release_EveryLineOfFullChunks_ReusesThemInsteadOfAllocating()
    {
        var store = new LineChunks(maxFreeChunks: 4);
        for (int round = 0; round < 50; round++)
        {
            var lines = Enumerable.Range(round * 1_000, 1_000).Select(i => store.Add(Line(i))).ToList();
            for (int i = 0; i < lines.Count; i++)
            {
                Assert.Equal(Line(round * 1_000 + i), lines[i].Line.ToArray());
                lines[i].Chunk.Release();
            }
        }

        // 50 rounds of about 390 KB each: without reuse that would be well over a hundred chunks.
        Assert.InRange(store.Allocated, 1, 6);
    }

    [Fact]
    public void Release_WhileOneLineOfAChunkIsHeld_NeverHandsThatChunkOut()
    {
        var store = new LineChunks(maxFreeChunks: 4);
        var kept = store.Add(Line(7));
        for (int round = 0; round < 20; round++)
        {
            var lines = Enumerable.Range(0, 500).Select(i => store.Add(Line(1_000 + i))).ToList();
            lines.ForEach(l => l.Chunk.Release());
        }

        Assert.Equal(Line(7), kept.Line.ToArray());
    }

    [Fact]
    public void Add_LineBeyondThePackingLimit_GetsAnArrayOfItsOwn()
    {
        var store = new LineChunks(maxFreeChunks: 4);
        var big = new byte[LineChunks.LargestPackedLine + 1];
        Random.Shared.NextBytes(big);

        var (chunk, line) = store.Add(big);

        Assert.Equal(big, line.ToArray());
        Assert.Equal(0, store.Allocated);
        chunk.Release();
    }

    [Fact]
    public void Release_MoreOftenThanReferenced_Throws()
    {
        var store = new LineChunks(maxFreeChunks: 4);
        var (chunk, _) = store.Add(Line(1));
        store.Close();
        chunk.Release();

        Assert.Throws<InvalidOperationException>(chunk.Release);
    }
}
