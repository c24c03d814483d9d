using Verdict.Experimentation.Experiments;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Experiments;

/// <summary>Champion slots as the serving path reads them: cached, refreshed in the background, sturdy when storage is down.</summary>
public sealed class ChampionSlotsTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Champion_ChangesOnlyOnceTheRefreshIntervalHasPassed_AndComesFromTheCacheMeanwhile()
    {
        var store = new ExperimentStore(azurite.Container("slots-refresh"));
        var clock = new ManualTimeProvider();
        var slots = new ChampionSlots(store, new ChampionSlotsOptions { Refresh = TimeSpan.FromSeconds(15) }, clock);
        Assert.Null(await slots.ChampionAsync("support"));

        await store.WriteSlotAsync(new ChampionSlot("support", "intent@2", ["intent@1"]), null);
        Assert.Null(await slots.ChampionAsync("support"));
        clock.Advance(TimeSpan.FromSeconds(14));
        Assert.Null(await slots.ChampionAsync("support"));

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await slots.ChampionAsync("support")); // answered from the cache while the read starts
        await slots.WhenRefreshedAsync("support");
        Assert.Equal("intent@2", await slots.ChampionAsync("support"));
    }

    [Fact]
    public async Task StorageDownWhenTheIntervalEnds_KeepsTheLastChampion_AndCatchesUpAfter()
    {
        var storage = new StorageFaults();
        var store = new ExperimentStore(azurite.Container("slots-outage", storage.Attach));
        await store.WriteSlotAsync(new ChampionSlot("support", "intent@2", ["intent@1"]), null);
        var clock = new ManualTimeProvider();
        var slots = new ChampionSlots(store, time: clock);
        Assert.Equal("intent@2", await slots.ChampionAsync("support"));

        storage.Down = true;
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal("intent@2", await slots.ChampionAsync("support"));
        await slots.WhenRefreshedAsync("support");
        Assert.Equal("intent@2", await slots.ChampionAsync("support"));

        storage.Down = false;
        var found = (await store.GetSlotAsync("support"))!.Value;
        await store.WriteSlotAsync(found.Slot with { Champion = "intent@1", Previous = [] }, found.ETag);
        clock.Advance(TimeSpan.FromSeconds(30));
        await slots.ChampionAsync("support");
        await slots.WhenRefreshedAsync("support");
        Assert.Equal("intent@1", await slots.ChampionAsync("support"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    public void Options_RefreshOutsideZeroToThirtySeconds_IsRefused(int seconds)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ChampionSlotsOptions { Refresh = TimeSpan.FromSeconds(seconds) }.Validate());
        Assert.Contains("at most 30 seconds", ex.Message, StringComparison.Ordinal);
    }
}
