namespace Verdict.Experimentation.Events;

/// <summary>
/// An append-only list stored in chunks that double in size (4,096 elements, then 8,192, …): growing never
/// copies, so the peak memory of a large log is the data itself rather than twice it during a resize, and a
/// small log holds one small chunk. Chunks come from <see cref="LargeArrays"/> uninitialised: the untouched
/// tail of the last one costs address space, not memory.
/// </summary>
internal sealed class ChunkedList<T>
    where T : unmanaged
{
    private const int FirstShift = 12;
    private readonly List<T[]> _chunks = [];

    public int Count { get; private set; }

    public ref T this[int index]
    {
        get
        {
            // Chunk k starts at 2^12 (2^k − 1): its number is the position of the top bit of index / 2^12 + 1.
            uint scaled = ((uint)index >> FirstShift) + 1;
            int chunk = 31 - System.Numerics.BitOperations.LeadingZeroCount(scaled);
            return ref _chunks[chunk][index - (((1 << chunk) - 1) << FirstShift)];
        }
    }

    /// <summary>Starts loading the element at <paramref name="index"/> into the cache.</summary>
    public void Prefetch(int index) => LargeArrays.Prefetch(ref this[index]);

    public int Add(in T item)
    {
        int count = Count;
        if (count == Capacity)
        {
            _chunks.Add(LargeArrays.Allocate<T>(1 << (FirstShift + _chunks.Count), zeroed: false));
        }
        this[count] = item;
        Count = count + 1;
        return count;
    }

    private long Capacity => ((1L << _chunks.Count) - 1) << FirstShift;
}
