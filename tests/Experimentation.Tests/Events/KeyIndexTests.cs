using Verdict.Experimentation.Events;

namespace Verdict.Experimentation.Tests.Events;

public sealed class KeyIndexTests
{
    private readonly struct ListKeys(List<UInt128> keys) : IKeySource
    {
        public UInt128 KeyAt(int position) => keys[position];
    }

    private static int FindOrAdd(KeyIndex index, List<UInt128> store, UInt128 key)
    {
        int position = index.Find(key, new ListKeys(store), out int slot);
        if (position < 0)
        {
            store.Add(key);
            index.Insert(slot, key, new ListKeys(store));
            position = store.Count - 1;
        }
        return position;
    }

    [Fact]
    public void Find_AfterGrowing_ReturnsEachKeysPositionAndMinusOneForOthers()
    {
        var rng = new Random(5);
        var index = new KeyIndex();
        var store = new List<UInt128>();
        var keys = new List<UInt128>();
        for (int i = 0; i < 300_000; i++)
        {
            // Half the keys share their high half (one tag); every 10,000th shares its low half (one home slot).
            ulong high = i % 2 == 0 ? 0xDEADBEEFUL << 32 : (ulong)rng.NextInt64();
            ulong low = i % 10_000 == 1 ? 0x1234 : (ulong)rng.NextInt64();
            keys.Add(new UInt128(high, low));
        }
        for (int i = 0; i < keys.Count; i++)
        {
            Assert.Equal(i, FindOrAdd(index, store, keys[i]));
        }
        Assert.Equal(keys.Count, index.Count);
        for (int i = 0; i < keys.Count; i++)
        {
            Assert.Equal(i, index.Find(keys[i], new ListKeys(store), out _));
        }
        Assert.Equal(-1, index.Find(new UInt128(0xDEADBEEFUL << 32, 42), new ListKeys(store), out _));
        Assert.Equal(-1, index.Find(new UInt128(7, 0x1234), new ListKeys(store), out _));
    }

    [Fact]
    public void Reserve_SizesTheTableOnceForThatManyKeys_AndIsIgnoredOnceKeysAreIn()
    {
        var index = new KeyIndex();
        var store = new List<UInt128>();
        index.Reserve(200_000);
        int slots = index.Slots;
        Assert.True(slots * 3L >= 200_000 * 4L, $"{slots} slots hold 200,000 keys below 3/4 load");

        var rng = new Random(9);
        for (int i = 0; i < 200_000; i++)
        {
            Assert.Equal(i, FindOrAdd(index, store, new UInt128((ulong)rng.NextInt64(), (ulong)rng.NextInt64())));
        }
        Assert.Equal(slots, index.Slots);
        Assert.True(store.Select((key, i) => index.Find(key, new ListKeys(store), out _) == i).All(found => found));

        index.Reserve(10_000_000);
        Assert.Equal(slots, index.Slots);
    }
}
