namespace Verdict.Experimentation.Events;

/// <summary>Where an index finds the key stored at a position (the store keeps the keys, the index only positions).</summary>
internal interface IKeySource
{
    UInt128 KeyAt(int position);
}

/// <summary>
/// Open-addressing (linear probing) index from 128-bit keys to positions in an append-only store. The table
/// holds positions + 1 (0 is empty) and doubles past a load of 3/4; the keys stay in the store, so the index
/// costs about 6–10 bytes per key. Generic over a struct key source so the probe loop is specialised.
/// </summary>
internal sealed class KeyIndex
{
    private int[] _table = new int[1 << 16];
    private int _count;

    /// <summary>The position of <paramref name="key"/>, or -1 with <paramref name="slot"/> set for <see cref="Insert"/>.</summary>
    public int Find<TKeys>(UInt128 key, TKeys keys, out int slot)
        where TKeys : struct, IKeySource
    {
        int mask = _table.Length - 1;
        slot = (int)((ulong)key & (uint)mask);
        while (true)
        {
            int entry = _table[slot];
            if (entry == 0)
            {
                return -1;
            }
            if (keys.KeyAt(entry - 1) == key)
            {
                return entry - 1;
            }
            slot = (slot + 1) & mask;
        }
    }

    /// <summary>Records <paramref name="position"/> at the slot <see cref="Find"/> returned, growing when needed.</summary>
    public void Insert<TKeys>(int slot, int position, TKeys keys)
        where TKeys : struct, IKeySource
    {
        _table[slot] = position + 1;
        if (++_count * 4 <= _table.Length * 3)
        {
            return;
        }
        var grown = new int[_table.Length * 2];
        int mask = grown.Length - 1;
        foreach (int entry in _table)
        {
            if (entry == 0)
            {
                continue;
            }
            int s = (int)((ulong)keys.KeyAt(entry - 1) & (uint)mask);
            while (grown[s] != 0)
            {
                s = (s + 1) & mask;
            }
            grown[s] = entry;
        }
        _table = grown;
    }
}
