using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Verdict.Experimentation.Experiments;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Experiments;

/// <summary>Sticky, weighted assignment through FeatureManagement variants, against a real Azurite.</summary>
public sealed class ArmAssignerTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private const int Units = 100_000;

    // The bucket FeatureManagement documents for percentile allocation, written out independently:
    // SHA-256 of "{unit}\n{seed}", the first 4 bytes as a little-endian uint, scaled to [0, 100).
    private static double Bucket(string unit, string seed) =>
        BinaryPrimitives.ReadUInt32LittleEndian(SHA256.HashData(Encoding.UTF8.GetBytes($"{unit}\n{seed}"))) / (double)uint.MaxValue * 100;

    private async Task<(ExperimentStore Store, ExperimentLifecycle Lifecycle)> StartedAsync(string id, double controlWeight = 0.5, string seed = "seed-1")
    {
        var store = new ExperimentStore(azurite.Container("assign-" + id));
        var lifecycle = new ExperimentLifecycle(store);
        await lifecycle.CreateAsync(ExperimentTestData.Model(id, controlWeight, seed));
        await lifecycle.StartAaAsync(id);
        await lifecycle.StartAbAsync(id, aaCheck: null, forceReason: "test");
        return (store, lifecycle);
    }

    private static async Task<string[]> AssignAllAsync(ArmAssigner assigner, string id, int units = Units)
    {
        var arms = new string[units];
        for (int i = 0; i < units; i++)
        {
            arms[i] = (await assigner.AssignAsync(id, $"contact-{i}"))!.Arm;
        }
        return arms;
    }

    [Fact]
    public async Task Assign_100kUnits_SplitWithinTheBinomialBandAndIdenticalAcrossAssigners()
    {
        var (store, _) = await StartedAsync("split");
        var first = await AssignAllAsync(new ArmAssigner(store), "split");
        var second = await AssignAllAsync(new ArmAssigner(new ExperimentStore(azurite.Container("assign-split"))), "split");

        int champion = first.Count(a => a == "champion");
        // R 4.2: qbinom(c(0.0005, 0.9995), 100000, 0.5) -> 49480 50520
        Assert.InRange(champion, 49_480, 50_520);
        Assert.Equal(first, second);
        for (int i = 0; i < Units; i++)
        {
            Assert.Equal(Bucket($"contact-{i}", "seed-1") < 50 ? "champion" : "challenger", first[i]);
        }
    }

    [Fact]
    public async Task Assign_WeightsChangedFrom50To90_MovesOnlyTheUnitsWhoseBucketChangedHands()
    {
        var (store, _) = await StartedAsync("reweight");
        var clock = new ManualTimeProvider();
        var assigner = new ArmAssigner(store, new ExperimentAssignerOptions { Refresh = TimeSpan.FromSeconds(30) }, clock);
        var before = await AssignAllAsync(assigner, "reweight");

        var stored = (await store.GetAsync("reweight"))!;
        await store.ReplaceAsync(stored.Definition with { Arms = [new("champion", 0.9, "intent@1"), new("challenger", 0.1, "intent@2")] }, stored.ETag);
        // Within the refresh interval the cached weights still hold; after it, the new ones do.
        Assert.Equal(before[..1000], await AssignAllAsync(assigner, "reweight", 1000));
        clock.Advance(TimeSpan.FromSeconds(31));
        await assigner.AssignAsync("reweight", "contact-0");
        await assigner.WhenCheckedAsync("reweight");
        var after = await AssignAllAsync(assigner, "reweight");

        for (int i = 0; i < Units; i++)
        {
            double bucket = Bucket($"contact-{i}", "seed-1");
            // Only challenger units with a bucket in [50, 90) move, all to the champion.
            string expected = bucket >= 50 && bucket < 90 ? "champion" : before[i];
            Assert.Equal(expected, after[i]);
        }
        // R 4.2: qbinom(c(0.0005, 0.9995), 100000, 0.1) -> 9689 10313
        Assert.InRange(after.Count(a => a == "challenger"), 9_689, 10_313);
    }

    [Fact]
    public async Task Assign_ManyCallersWhenTheIntervalEnds_ShareOneBackgroundCheckAndNoneWaitsForIt()
    {
        await StartedAsync("herd");
        var storage = new StorageFaults();
        var clock = new ManualTimeProvider();
        var assigner = new ArmAssigner(new ExperimentStore(azurite.Container("assign-herd", storage.Attach)), time: clock);
        var before = await AssignAllAsync(assigner, "herd", 200);
        clock.Advance(TimeSpan.FromSeconds(31));
        storage.Requests = 0;
        storage.Held = new TaskCompletionSource();

        // Storage does not answer until released: every caller is answered from the cache all the same.
        var during = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => assigner.AssignAsync("herd", $"contact-{i}").AsTask())).WaitAsync(TimeSpan.FromSeconds(20));
        storage.Held.SetResult();
        await assigner.WhenCheckedAsync("herd");

        Assert.Equal(before, during.Select(a => a!.Arm));
        Assert.Equal(1, storage.Requests);
    }

    [Fact]
    public async Task Assign_StorageDownWhenTheIntervalEnds_KeepsAnsweringFromTheCacheAndCatchesUpAfter()
    {
        var (store, _) = await StartedAsync("outage");
        var storage = new StorageFaults();
        var clock = new ManualTimeProvider();
        var assigner = new ArmAssigner(new ExperimentStore(azurite.Container("assign-outage", storage.Attach)), time: clock);
        var before = await AssignAllAsync(assigner, "outage", 1000);
        storage.Down = true;
        clock.Advance(TimeSpan.FromSeconds(31));

        Assert.Equal(before, await AssignAllAsync(assigner, "outage", 1000));
        await assigner.WhenCheckedAsync("outage");
        Assert.Equal(before, await AssignAllAsync(assigner, "outage", 1000));

        var stored = (await store.GetAsync("outage"))!;
        await store.ReplaceAsync(stored.Definition with { Seed = "seed-after-outage" }, stored.ETag);
        storage.Down = false;
        await assigner.AssignAsync("outage", "contact-0");
        await assigner.WhenCheckedAsync("outage");
        var after = await AssignAllAsync(assigner, "outage", 1000);
        Assert.Contains(after.Zip(before), p => p.First != p.Second);
    }

    [Fact]
    public async Task Assign_NewSeed_ReRandomizes()
    {
        var (store, _) = await StartedAsync("reseed");
        var clock = new ManualTimeProvider();
        var assigner = new ArmAssigner(store, time: clock);
        var before = await AssignAllAsync(assigner, "reseed");
        var stored = (await store.GetAsync("reseed"))!;
        await store.ReplaceAsync(stored.Definition with { Seed = "seed-2" }, stored.ETag);
        clock.Advance(TimeSpan.FromMinutes(1));
        await assigner.AssignAsync("reseed", "contact-0");
        await assigner.WhenCheckedAsync("reseed");
        var after = await AssignAllAsync(assigner, "reseed");

        int changed = before.Zip(after).Count(p => p.First != p.Second);
        // Independent buckets: a unit changes arm with probability 1/2.
        // R 4.2: qbinom(c(0.0005, 0.9995), 100000, 0.5) -> 49480 50520
        Assert.InRange(changed, 49_480, 50_520);
    }

    [Fact]
    public async Task Assign_AaPhase_SplitsUnitsButEveryArmServesTheControl()
    {
        var store = new ExperimentStore(azurite.Container("assign-aa"));
        var lifecycle = new ExperimentLifecycle(store);
        await lifecycle.CreateAsync(ExperimentTestData.Model("aa-phase"));
        var assigner = new ArmAssigner(store, new ExperimentAssignerOptions { Refresh = TimeSpan.Zero });
        Assert.Equal(AssignmentReason.NotStarted, (await assigner.AssignAsync("aa-phase", "u-1"))!.Reason);

        await lifecycle.StartAaAsync("aa-phase");
        var assignments = new List<ArmAssignment>();
        for (int i = 0; i < 200; i++)
        {
            assignments.Add((await assigner.AssignAsync("aa-phase", $"u-{i}"))!);
        }
        Assert.Equal(2, assignments.Select(a => a.Arm).Distinct().Count());
        Assert.All(assignments, a => Assert.Equal(("intent@1", AssignmentReason.AllocatedAA), (a.Serves, a.Reason)));
        Assert.Null(await assigner.AssignAsync("missing", "u-1"));
    }
}
