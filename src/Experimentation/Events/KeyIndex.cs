namespace Verdict.Experimentation.Events;

/// <summary>Where an index finds the key stored at a position (the store keeps the keys, the index only positions).</summary>
internal interface IKeySource
{
    UInt128 KeyAt(int position);
}

/// <summary>
/// Open-addressing (linear probing) index from 128-bit keys to positions 0, 1, 2, … of an append-only store,
/// in the order they were inserted. Each 32-bit slot holds position + 1 (0 is empty) in its low bits and, in
/// the bits a position does not need yet, a tag taken from the key's high half, so a probe past another key
/// almost never reads the store (one cache miss per lookup instead of one per probe). The table doubles past
/// a load of 3/4, re-inserting the store's keys in order; the index costs about 6–10 bytes per key.
/// Generic over a struct key source so the probe loop is specialised.
/// </summary>
internal sealed class KeyIndex
{
    private const int InitialBits = 16, MaxBits = 30;

    /// <summary>The most keys an index holds: 3/4 of its largest table.</summary>
    public const int MaxKeys = (1 << MaxBits) / 4 * 3;

    private uint[] _table = LargeArrays.Allocate<uint>(1 << InitialBits, zeroed: true);
    private int _positionBits = InitialBits;
    private int _count;

    public int Count => _count;

    /// <summary>The table's size in slots.</summary>
    public int Slots => _table.Length;

    /// <summary>The position of <paramref name="key"/>, or -1 with <paramref name="slot"/> set for <see cref="Insert"/>.</summary>
    public int Find<TKeys>(UInt128 key, TKeys keys, out int slot)
        where TKeys : struct, IKeySource
    {
        uint[] table = _table;
        int mask = table.Length - 1;
        int bits = _positionBits;
        uint positionMask = (1u << bits) - 1;
        uint tag = TagOf(key, bits);
        slot = (int)((ulong)key & (uint)mask);
        while (true)
        {
            uint entry = table[slot];
            if (entry == 0)
            {
                return -1;
            }
            if ((entry & ~positionMask) == tag)
            {
                int position = (int)(entry & positionMask) - 1;
                if (keys.KeyAt(position) == key)
                {
                    return position;
                }
            }
            slot = (slot + 1) & mask;
        }
    }

    /// <summary>Starts loading the slot where a probe for <paramref name="key"/> begins into the cache.</summary>
    public void Prefetch(UInt128 key)
    {
        uint[] table = _table;
        LargeArrays.Prefetch(ref table[(int)((ulong)key & (uint)(table.Length - 1))]);
    }

    /// <summary>The position of the first slot of the probe whose tag matches <paramref name="key"/>'s (likely its position), or -1; the store is not read.</summary>
    public int Peek(UInt128 key)
    {
        uint[] table = _table;
        int mask = table.Length - 1;
        uint positionMask = (1u << _positionBits) - 1;
        uint tag = TagOf(key, _positionBits);
        int slot = (int)((ulong)key & (uint)mask);
        for (int probes = 0; probes < 4; probes++)
        {
            uint entry = table[slot];
            if (entry == 0)
            {
                return -1;
            }
            if ((entry & ~positionMask) == tag)
            {
                return (int)(entry & positionMask) - 1;
            }
            slot = (slot + 1) & mask;
        }
        return -1;
    }

    /// <summary>
    /// Records the next position (equal to <see cref="Count"/>) for <paramref name="key"/> at the slot
    /// <see cref="Find"/> returned, growing when needed.
    /// </summary>
    public void Insert<TKeys>(int slot, UInt128 key, TKeys keys)
        where TKeys : struct, IKeySource
    {
        _table[slot] = TagOf(key, _positionBits) | (uint)(_count + 1);
        if (++_count * 4L <= _table.Length * 3L)
        {
            return;
        }
        if (_positionBits >= MaxBits)
        {
            throw new InvalidOperationException($"the index holds its maximum of {MaxKeys:N0} keys");
        }
        Resize(_positionBits + 1, keys);
    }

    /// <summary>
    /// Sizes an empty index for <paramref name="keys"/> keys, so that reaching that many never re-hashes. An
    /// index that already holds keys is left as it is.
    /// </summary>
    public void Reserve(int keys)
    {
        int bits = InitialBits;
        while (bits < MaxBits && (1L << bits) * 3 < keys * 4L)
        {
            bits++;
        }
        if (_count == 0 && bits > _positionBits)
        {
            _table = LargeArrays.Allocate<uint>(1 << bits, zeroed: true);
            _positionBits = bits;
        }
    }

    private void Resize<TKeys>(int bits, TKeys keys)
        where TKeys : struct, IKeySource
    {
        var grown = LargeArrays.Allocate<uint>(1 << bits, zeroed: true);
        int mask = grown.Length - 1;
        // The store is read in order (sequential), the new table written at random.
        for (int position = 0; position < _count; position++)
        {
            UInt128 k = keys.KeyAt(position);
            int s = (int)((ulong)k & (uint)mask);
            while (grown[s] != 0)
            {
                s = (s + 1) & mask;
            }
            grown[s] = TagOf(k, bits) | (uint)(position + 1);
        }
        _table = grown;
        _positionBits = bits;
    }

    /// <summary>The top 32 − <paramref name="positionBits"/> bits of the key's high half, shifted above the position bits.</summary>
    private static uint TagOf(UInt128 key, int positionBits) =>
        (uint)((ulong)(key >> 64) >> (32 + positionBits)) << positionBits;
}
