namespace Verdict.Experimentation.Events;

/// <summary>
/// Where the event log's buffered lines wait for their flush: packed one after another into large reusable
/// chunks, not one array each.
/// </summary>
/// <remarks>
/// A buffered line lives up to a flush interval, long enough to outlive a gen-0 collection at full load. As
/// an array of its own it is then copied into gen 1 and often gen 2, and a busy app runs a gen-2 collection
/// every couple of seconds for nothing but these lines. Chunks are on the large object heap from the start
/// (never copied), and a chunk whose lines have all been flushed is reused. Every line holds one reference
/// to its chunk, and so does the store while the chunk is the one being filled; the last
/// <see cref="Chunk.Release"/> puts it back on the free list.
/// </remarks>
internal sealed class LineChunks
{
    /// <summary>Bytes per chunk: above the large-object threshold (85,000), so chunks are never copied by the GC.</summary>
    public const int ChunkBytes = 128 * 1024;

    /// <summary>Lines longer than this get an array of their own rather than leave most of a chunk unused.</summary>
    public const int LargestPackedLine = ChunkBytes / 8;

    private readonly Lock _lock = new();
    private readonly Stack<Chunk> _free = new();
    private readonly int _maxFree;
    private Chunk? _current;

    /// <summary>Creates a store that keeps up to <paramref name="maxFreeChunks"/> emptied chunks for reuse.</summary>
    public LineChunks(int maxFreeChunks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxFreeChunks);
        _maxFree = maxFreeChunks;
    }

    /// <summary>Chunks allocated so far (for tests: reuse keeps this flat).</summary>
    public int Allocated { get; private set; }

    /// <summary>Copies <paramref name="line"/> in; the caller owns one reference to the returned chunk, to release once the line is no longer needed.</summary>
    public (Chunk Chunk, ReadOnlyMemory<byte> Line) Add(ReadOnlySpan<byte> line)
    {
        if (line.Length > LargestPackedLine)
        {
            var own = new Chunk(this, line.ToArray(), pooled: false);
            return (own, own.Buffer);
        }
        lock (_lock)
        {
            var chunk = _current;
            if (chunk is null || chunk.Used + line.Length > chunk.Buffer.Length)
            {
                // The store lets go of the full chunk; its lines still hold it until they are flushed.
                chunk?.Release();
                _current = chunk = Take();
            }
            line.CopyTo(chunk.Buffer.AsSpan(chunk.Used));
            var memory = new ReadOnlyMemory<byte>(chunk.Buffer, chunk.Used, line.Length);
            chunk.Used += line.Length;
            chunk.AddReference();
            return (chunk, memory);
        }
    }

    /// <summary>Lets go of the chunk being filled (the writer is closing).</summary>
    public void Close()
    {
        lock (_lock)
        {
            _current?.Release();
            _current = null;
        }
    }

    private Chunk Take()
    {
        if (_free.TryPop(out var chunk))
        {
            chunk.Reset();
            return chunk;
        }
        Allocated++;
        return new Chunk(this, GC.AllocateUninitializedArray<byte>(ChunkBytes), pooled: true);
    }

    private void Return(Chunk chunk)
    {
        lock (_lock)
        {
            if (_free.Count < _maxFree)
            {
                _free.Push(chunk);
            }
        }
    }

    /// <summary>A run of packed lines, counted: one reference per buffered line plus one while it is being filled.</summary>
    internal sealed class Chunk(LineChunks owner, byte[] buffer, bool pooled)
    {
        private int _references = 1;

        public byte[] Buffer { get; } = buffer;

        public int Used { get; set; }

        public void AddReference() => Interlocked.Increment(ref _references);

        /// <summary>Drops one reference; the last one returns a pooled chunk to its store.</summary>
        public void Release()
        {
            int left = Interlocked.Decrement(ref _references);
            if (left == 0 && pooled)
            {
                owner.Return(this);
            }
            else if (left < 0)
            {
                throw new InvalidOperationException("a log line chunk was released more often than it was referenced");
            }
        }

        public void Reset()
        {
            Used = 0;
            _references = 1;
        }
    }
}
