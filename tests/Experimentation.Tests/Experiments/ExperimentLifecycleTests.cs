using Azure;
using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Experiments;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Experiments;

/// <summary>The lifecycle's guards and its optimistic concurrency, against a real Azurite.</summary>
public sealed class ExperimentLifecycleTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private ExperimentStore Store(string name) => new(azurite.Container("life-" + name));

    [Fact]
    public async Task Create_PlansTheSampleSizeAndStoresADraft()
    {
        var store = Store("create");
        await new ExperimentLifecycle(store).CreateAsync(ExperimentTestData.Model("plan"));
        var stored = (await store.GetAsync("plan"))!.Definition;
        Assert.Equal(ExperimentPhase.Draft, stored.Phase);
        // R 4.2: power.prop.test(p1 = 0.8, p2 = 0.83, power = 0.8)$n -> 2628.632
        Assert.Equal(2629, stored.PlannedUnitsPerArm);
        Assert.Equal(["accuracy", "handlingSeconds"], stored.PrimaryMetrics);
    }

    [Fact]
    public async Task Create_UnknownModel_IsRejectedNamingTheArm()
    {
        var lifecycle = new ExperimentLifecycle(Store("unknown"), (reference, _) => Task.FromResult(reference == "intent@1"));
        var ex = await Assert.ThrowsAsync<ExperimentDefinitionException>(() => lifecycle.CreateAsync(ExperimentTestData.Model("unknown")));
        Assert.Equal("arms[1].serves 'intent@2' is not a published model", ex.Message);
    }

    [Fact]
    public async Task Create_UnknownShadowModel_IsRejectedNamingIt()
    {
        var lifecycle = new ExperimentLifecycle(Store("unknown-shadow"), (reference, _) => Task.FromResult(reference != "intent@9"));
        var ex = await Assert.ThrowsAsync<ExperimentDefinitionException>(() => lifecycle.CreateAsync(ExperimentTestData.Model("unknown-shadow") with { ShadowModels = ["intent@3", "intent@9"] }));
        Assert.Equal("shadowModels[1] 'intent@9' is not a published model", ex.Message);
    }

    [Fact]
    public async Task Create_SameIdTwice_IsAConflict()
    {
        var lifecycle = new ExperimentLifecycle(Store("twice"));
        await lifecycle.CreateAsync(ExperimentTestData.Model("twice"));
        await Assert.ThrowsAsync<ExperimentConflictException>(() => lifecycle.CreateAsync(ExperimentTestData.Model("twice")));
    }

    [Fact]
    public async Task StartAb_WithoutAPassedAaCheck_IsRefusedUnlessForcedWithAReasonThatIsRecorded()
    {
        var store = Store("guard");
        var lifecycle = new ExperimentLifecycle(store);
        await lifecycle.CreateAsync(ExperimentTestData.Model("guard"));
        await lifecycle.StartAaAsync("guard");

        var ex = await Assert.ThrowsAsync<ExperimentDefinitionException>(() => lifecycle.StartAbAsync("guard", aaCheck: null));
        Assert.StartsWith("phase: the A/A check of 'guard' has not passed (not run)", ex.Message, StringComparison.Ordinal);

        var started = await lifecycle.StartAbAsync("guard", aaCheck: null, forceReason: "A/A ran on last week's traffic");
        var change = started.Definition.History[^1];
        Assert.Equal((ExperimentPhase.AA, ExperimentPhase.AB, true, "A/A ran on last week's traffic"), (change.From, change.To, change.Forced, change.Reason));
    }

    [Fact]
    public async Task StartAb_AfterAPassedAaAnalysis_Starts()
    {
        var lifecycle = new ExperimentLifecycle(Store("passed"));
        await lifecycle.CreateAsync(ExperimentTestData.Model("passed"));
        await lifecycle.StartAaAsync("passed");
        var log = new SyntheticLog { UnitsPerArm = 3000, Phase = "aa" };
        var aa = await AnalyzeAsync(log);
        Assert.Equal("aa-passed", aa.Verdict.Status);

        var started = await lifecycle.StartAbAsync("passed", aa);
        Assert.False(started.Definition.History[^1].Forced);
        Assert.Equal(ExperimentPhase.AB, started.Definition.Phase);
    }

    [Fact]
    public async Task StartAb_TwoRacers_ExactlyOneWinsAndTheOtherGetsAClearError()
    {
        var lifecycle = new ExperimentLifecycle(Store("race"));
        await lifecycle.CreateAsync(ExperimentTestData.Model("race"));
        await lifecycle.StartAaAsync("race");
        var racers = Enumerable.Range(0, 2)
            .Select(i => Task.Run(() => new ExperimentLifecycle(Store("race")).StartAbAsync("race", null, $"racer {i}")))
            .ToArray();
        var outcomes = await Task.WhenAll(racers.Select(async t =>
        {
            try
            {
                await t;
                return "won";
            }
            catch (ExperimentConflictException)
            {
                return "conflict";
            }
            catch (ExperimentDefinitionException ex) when (ex.Message.StartsWith("phase: 'race' is ab", StringComparison.Ordinal))
            {
                return "already-ab";
            }
        }));
        Assert.Single(outcomes, o => o == "won");
        Assert.Single(outcomes, o => o is "conflict" or "already-ab");
    }

    [Fact]
    public async Task Replace_WithAStaleETag_IsAConflict()
    {
        var store = Store("stale");
        var created = await store.CreateAsync(ExperimentTestData.Model("stale"));
        await store.ReplaceAsync(created.Definition with { Seed = "b" }, created.ETag);
        var ex = await Assert.ThrowsAsync<ExperimentConflictException>(() => store.ReplaceAsync(created.Definition with { Seed = "c" }, created.ETag));
        Assert.Equal("experiment 'stale' was changed by someone else; read it again and retry", ex.Message);
    }

    [Fact]
    public async Task PromoteThenRollback_MovesTheSlotsChampionAndBack()
    {
        var store = Store("promote");
        var lifecycle = new ExperimentLifecycle(store);
        await lifecycle.CreateAsync(ExperimentTestData.Model("promote"));
        await lifecycle.StartAaAsync("promote");
        await lifecycle.StartAbAsync("promote", null, "test");
        await Assert.ThrowsAsync<ExperimentDefinitionException>(() => lifecycle.DecideAsync("promote", "nobody"));
        await lifecycle.DecideAsync("promote", "challenger");
        await lifecycle.PromoteAsync("promote");
        var slot = (await store.GetSlotAsync("promote"))!.Value.Slot;
        Assert.Equal("intent@2", slot.Champion);
        Assert.Equal(["intent@1"], slot.Previous);

        await lifecycle.RollbackAsync("promote", "complaints");
        slot = (await store.GetSlotAsync("promote"))!.Value.Slot;
        Assert.Equal(("intent@1", 0), (slot.Champion, slot.Previous.Count));
        Assert.Equal(ExperimentPhase.RolledBack, (await store.GetAsync("promote"))!.Definition.Phase);
    }

    [Theory]
    [InlineData("slots/")]
    [InlineData("experiments/")]
    public async Task Promote_AWriteFails_TheRetryFinishesWithTheSlotPromotedOnce(string failing)
    {
        var (store, lifecycle, fault) = Faulty("p-" + failing.TrimEnd('/'));
        await DecidedAsync(lifecycle, "promo", "challenger");

        fault.FailNextWrite(failing);
        await Assert.ThrowsAsync<RequestFailedException>(() => lifecycle.PromoteAsync("promo"));
        Assert.Equal(ExperimentPhase.Decided, (await store.GetAsync("promo"))!.Definition.Phase);

        await lifecycle.PromoteAsync("promo");
        var slot = (await store.GetSlotAsync("promo"))!.Value.Slot;
        Assert.Equal(("intent@2", "promo"), (slot.Champion, slot.PromotedBy));
        Assert.Equal(["intent@1"], slot.Previous);
        Assert.Equal(ExperimentPhase.Promoted, (await store.GetAsync("promo"))!.Definition.Phase);
    }

    [Theory]
    [InlineData("slots/")]
    [InlineData("experiments/")]
    public async Task Rollback_AWriteFails_TheRetryRestoresThePreviousChampionOnce(string failing)
    {
        var (store, lifecycle, fault) = Faulty("r-" + failing.TrimEnd('/'));
        await store.WriteSlotAsync(new ChampionSlot("back", "intent@1", ["intent@0"]), null);
        await DecidedAsync(lifecycle, "back", "challenger");
        await lifecycle.PromoteAsync("back");

        fault.FailNextWrite(failing);
        await Assert.ThrowsAsync<RequestFailedException>(() => lifecycle.RollbackAsync("back", "complaints"));
        Assert.Equal(ExperimentPhase.Promoted, (await store.GetAsync("back"))!.Definition.Phase);

        await lifecycle.RollbackAsync("back", "complaints");
        var slot = (await store.GetSlotAsync("back"))!.Value.Slot;
        Assert.Equal(("intent@1", "back"), (slot.Champion, slot.RestoredBy));
        Assert.Equal(["intent@0"], slot.Previous);
        Assert.Equal(ExperimentPhase.RolledBack, (await store.GetAsync("back"))!.Definition.Phase);
    }

    [Fact]
    public async Task Rollback_AfterALaterPromotionOfTheSameSlot_LeavesTheSlotToIt()
    {
        var store = Store("later");
        var lifecycle = new ExperimentLifecycle(store);
        await DecidedAsync(lifecycle, "first", "challenger", slot: "shared");
        await lifecycle.PromoteAsync("first");
        await DecidedAsync(lifecycle, ExperimentTestData.Model("second") with
        {
            Slot = "shared",
            Arms = [new ArmDefinition("champion", 0.5, "intent@2"), new ArmDefinition("challenger", 0.5, "intent@3")],
        }, "challenger");
        await lifecycle.PromoteAsync("second");

        await lifecycle.RollbackAsync("first", "late complaints");

        var slot = (await store.GetSlotAsync("shared"))!.Value.Slot;
        Assert.Equal(("intent@3", "second"), (slot.Champion, slot.PromotedBy));
        Assert.Equal(["intent@2", "intent@1"], slot.Previous);
    }

    [Fact]
    public async Task PromoteThenRollback_ControlWon_LeavesTheControlServing()
    {
        var store = Store("control");
        var lifecycle = new ExperimentLifecycle(store);
        await DecidedAsync(lifecycle, "control", "champion");

        await lifecycle.PromoteAsync("control");
        Assert.Equal("intent@1", (await store.GetSlotAsync("control"))!.Value.Slot.Champion);
        await lifecycle.RollbackAsync("control");

        Assert.Equal("intent@1", (await store.GetSlotAsync("control"))!.Value.Slot.Champion);
    }

    private static Task DecidedAsync(ExperimentLifecycle lifecycle, string id, string winner, string? slot = null) =>
        DecidedAsync(lifecycle, ExperimentTestData.Model(id) with { Slot = slot }, winner);

    private static async Task DecidedAsync(ExperimentLifecycle lifecycle, ExperimentDefinition definition, string winner)
    {
        await lifecycle.CreateAsync(definition);
        await lifecycle.StartAaAsync(definition.Id);
        await lifecycle.StartAbAsync(definition.Id, null, "test");
        await lifecycle.DecideAsync(definition.Id, winner);
    }

    private (ExperimentStore Store, ExperimentLifecycle Lifecycle, StorageFaults Fault) Faulty(string name)
    {
        var fault = new StorageFaults();
        var store = new ExperimentStore(azurite.Container("life-" + name, fault.Attach));
        return (store, new ExperimentLifecycle(store), fault);
    }

    private static async Task<AnalysisResult> AnalyzeAsync(SyntheticLog log)
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "log.jsonl");
        await File.WriteAllLinesAsync(path, log.Lines());
        return await ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = [path], Phase = Verdict.Experimentation.Events.EventPhase.AA, PlannedUnits = 2000 });
    }
}
