using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Verdict.Serving;

/// <summary>
/// The answers given to the most recent ids, so that a repeated call gets the same answer. Answers are kept
/// serialized (JSON) in one ring of bytes, indexed by an open-addressing table of longs: the store holds no
/// object per answer, so the garbage collector neither traces nor promotes them. Held as objects, 200,000
/// recent answers were over a million live objects that every request added to and every collection had to
/// copy or trace; its pauses (7–17 ms each on two cores) were most of the latency tail at half load.
/// <para>
/// The ring holds <see cref="BytesPerEntry"/> bytes per entry of capacity, so the last <c>capacity</c>
/// answers are remembered as long as they average at most that (a five-label score takes about 400 bytes
/// with its id); the oldest are overwritten first. An id is looked for in a window of
/// <see cref="MaxProbes"/> slots from its hash; when every slot in the window holds a live answer, the oldest
/// of them is forgotten early. O(1) per call; one lock, held for a probe and a copy.
/// </para>
/// </summary>
internal sealed class RecentAnswers<T> where T : class
{
    /// <summary>Ring bytes per entry of capacity.</summary>
    public const int BytesPerEntry = 512;

    /// <summary>How many index slots an id may be looked for in.</summary>
    public const int MaxProbes = 32;

    private const int HeaderBytes = 8; // the id's length in chars, the answer's length in bytes
    private const int PositionBits = 48;
    private const long PositionLimit = 1L << PositionBits;

    private readonly JsonTypeInfo<T> _type;
    private readonly byte[] _ring;
    private readonly long[] _slots; // 0: empty; else tag (16 bits) << 48 | (ring position + 1)
    private readonly int _mask;
    private readonly Lock _gate = new();
    private long _head; // ring positions written since the last reset; a position's byte lives at position % ring length

    public RecentAnswers(int capacity, JsonTypeInfo<T> type)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _type = type;
        // Untouched pages of an uninitialized array cost no memory until answers are written to them.
        _ring = GC.AllocateUninitializedArray<byte>((int)Math.Min((long)capacity * BytesPerEntry, Array.MaxLength & ~7));
        int slots = (int)Math.Min(1L << 30, Math.Max(64, (long)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity) * 4));
        _slots = new long[slots];
        _mask = slots - 1;
    }

    /// <summary>The answer last remembered for <paramref name="id"/>, or null.</summary>
    public T? Get(string id) => GetJson(id) is { } json ? JsonSerializer.Deserialize(json, _type) : null;

    /// <summary>The JSON of the answer last remembered for <paramref name="id"/> (a copy), or null.</summary>
    public byte[]? GetJson(string id)
    {
        uint hash = Hash(id);
        lock (_gate)
        {
            int slot = Find(id, hash, out _, out _);
            if (slot < 0)
            {
                return null;
            }
            var entry = Entry(PositionOf(_slots[slot]), out int keyChars, out int answerBytes);
            return entry.Slice(HeaderBytes + (keyChars * 2), answerBytes).ToArray();
        }
    }

    /// <summary>Remembers <paramref name="answer"/> for <paramref name="id"/>, replacing an earlier one.</summary>
    public void Set(string id, T answer) => Set(id, JsonSerializer.SerializeToUtf8Bytes(answer, _type));

    /// <summary>Remembers the answer whose JSON is <paramref name="json"/> for <paramref name="id"/>, replacing an earlier one.</summary>
    public void Set(string id, ReadOnlySpan<byte> json)
    {
        int size = (HeaderBytes + (id.Length * 2) + json.Length + 7) & ~7;
        if (size > _ring.Length / 4)
        {
            return; // too large to remember: it would push out a quarter of the rest
        }
        uint hash = Hash(id);
        lock (_gate)
        {
            if (_head + size + _ring.Length >= PositionLimit)
            {
                // After 2^48 bytes of answers (hundreds of days at full speed) positions start again from zero.
                Array.Clear(_slots);
                _head = 0;
            }
            int found = Find(id, hash, out int free, out int oldest);
            int slot = found >= 0 ? found : free >= 0 ? free : oldest;
            long position = _head;
            int offset = (int)(position % _ring.Length);
            if (offset + size > _ring.Length)
            {
                position += _ring.Length - offset; // the entry does not wrap: it starts again at the ring's start
                offset = 0;
            }
            var entry = _ring.AsSpan(offset, size);
            MemoryMarshal.Write(entry, id.Length);
            MemoryMarshal.Write(entry[4..], json.Length);
            MemoryMarshal.AsBytes(id.AsSpan()).CopyTo(entry[HeaderBytes..]);
            json.CopyTo(entry[(HeaderBytes + (id.Length * 2))..]);
            _head = position + size;
            _slots[slot] = ((long)(hash >> 16) << PositionBits) | (position + 1);
        }
    }

    /// <summary>
    /// The slot holding <paramref name="id"/>'s live answer, or -1; also the first free slot of its window
    /// (empty, or holding an overwritten answer) and the slot of the oldest live answer in it.
    /// </summary>
    private int Find(string id, uint hash, out int free, out int oldest)
    {
        free = -1;
        oldest = -1;
        long oldestPosition = long.MaxValue;
        long live = _head - _ring.Length;
        long tag = hash >> 16;
        for (int probe = 0; probe < MaxProbes; probe++)
        {
            int slot = (int)((hash + (uint)probe) & (uint)_mask);
            long value = _slots[slot];
            if (value == 0)
            {
                // Answers are placed at the first free slot of their window and slots are never emptied, so no
                // answer for this id lies beyond an empty one.
                if (free < 0)
                {
                    free = slot;
                }
                return -1;
            }
            long position = PositionOf(value);
            if (position < live)
            {
                if (free < 0)
                {
                    free = slot;
                }
                continue;
            }
            if ((value >>> PositionBits) == tag)
            {
                var entry = Entry(position, out int keyChars, out _);
                if (MemoryMarshal.Cast<byte, char>(entry.Slice(HeaderBytes, keyChars * 2)).SequenceEqual(id))
                {
                    return slot;
                }
            }
            if (position < oldestPosition)
            {
                oldestPosition = position;
                oldest = slot;
            }
        }
        return -1;
    }

    private Span<byte> Entry(long position, out int keyChars, out int answerBytes)
    {
        var entry = _ring.AsSpan((int)(position % _ring.Length));
        keyChars = MemoryMarshal.Read<int>(entry);
        answerBytes = MemoryMarshal.Read<int>(entry[4..]);
        return entry;
    }

    private static long PositionOf(long slotValue) => (slotValue & (PositionLimit - 1)) - 1;

    private static uint Hash(string id) => (uint)StringComparer.Ordinal.GetHashCode(id);

    /// <summary>For tests: continues as if <paramref name="position"/> bytes had been written, to reach the position limit.</summary>
    internal void SkipTo(long position)
    {
        lock (_gate)
        {
            Array.Clear(_slots);
            _head = position;
        }
    }
}
