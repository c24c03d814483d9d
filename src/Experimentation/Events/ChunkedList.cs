namespace Verdict.Experimentation.Events;

/// <summary>
/// An append-only list stored in fixed 64K-element chunks: growing never copies, so the peak memory of a
/// large log is the data itself rather than twice it during a resize.
/// </summary>
internal sealed class ChunkedList<T>
    where T : struct
{
    private const int Shift = 16;
    private const int ChunkSize = 1 << Shift;
    private const int Mask = ChunkSize - 1;
    private readonly List<T[]> _chunks = [];

    public int Count { get; private set; }

    public ref T this[int index] => ref _chunks[index >> Shift][index & Mask];

    public int Add(in T item)
    {
        if ((Count & Mask) == 0 && Count >> Shift == _chunks.Count)
        {
            _chunks.Add(new T[ChunkSize]);
        }
        _chunks[Count >> Shift][Count & Mask] = item;
        return Count++;
    }
}
