using Azure.Storage.Blobs;
using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Experiments;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Experiments;

/// <summary>
/// The autopilot against a real Azurite, its clock manual: it starts the A/B test when the A/A check passes, stops a
/// test whose challenger breaks a guardrail, promotes a winner, audits each action with its analysis, and every step
/// is safe to retry after a failed write.
/// </summary>
public sealed class ExperimentAutopilotTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static readonly ExperimentAutomation Everything = new() { StartAb = true, StopOnGuardrailBreach = true, PromoteWinner = true };

    private sealed record Setup(ExperimentStore Store, ExperimentLifecycle Lifecycle, ExperimentAutopilot Autopilot, BlobContainerClient Events, StorageFaults Faults);

    private Setup Create(string name)
    {
        var faults = new StorageFaults();
        var store = new ExperimentStore(azurite.Container("auto-" + name, faults.Attach));
        var events = azurite.Container("auto-events-" + name);
        var clock = new ManualTimeProvider();
        var blobs = new BlobServiceClient(azurite.ConnectionString);
        return new(store, new ExperimentLifecycle(store, time: clock), new ExperimentAutopilot(store, "log://" + events.Name, blobs, clock), events, faults);
    }

    private static async Task StartAsync(Setup s, string id, ExperimentAutomation? automation, bool ab, params Guardrail[] guardrails)
    {
        await s.Lifecycle.CreateAsync(new ExperimentDefinition
        {
            Id = id, Seed = id, Baseline = 0.8, MinimumDetectableEffect = 0.1, Slot = id + "-slot", Automation = automation, Guardrails = guardrails,
            Arms = [new ArmDefinition("champion", 0.5, "intent@1"), new ArmDefinition("challenger", 0.5, "intent@2")],
        });
        await s.Lifecycle.StartAaAsync(id);
        if (ab)
        {
            await s.Lifecycle.StartAbAsync(id, null, "tests");
        }
    }

    /// <summary>Writes a log where the experiment's writer would: its partition, one hour's blob.</summary>
    private static async Task LogAsync(Setup s, SyntheticLog log)
    {
        await s.Events.CreateIfNotExistsAsync();
        string text = string.Join("\n", log.Lines()) + "\n";
        await s.Events.GetBlobClient($"{log.Experiment}/2026-11-01/00/{log.Phase}.jsonl").UploadAsync(BinaryData.FromString(text), overwrite: true);
    }

    [Fact]
    public async Task AaCheckPasses_StartsTheAbTest_AuditsTheAnalysis_AndASecondPassDoesNothing()
    {
        var s = Create("aa");
        await StartAsync(s, "auto-aa", new ExperimentAutomation { StartAb = true }, ab: false);
        await LogAsync(s, new SyntheticLog { Experiment = "auto-aa", Phase = "aa", UnitsPerArm = 600, Seed = 11 });

        var step = Assert.Single(await s.Autopilot.RunOnceAsync());

        Assert.Equal((ExperimentAutopilot.StartAb, "aa-passed"), (step.Action, step.Status));
        Assert.Equal(ExperimentPhase.AB, (await s.Store.GetAsync("auto-aa"))!.Definition.Phase);
        var audit = Assert.Single(await s.Store.ListAuditAsync("auto-aa"));
        Assert.Equal((ExperimentPhase.AA, ExperimentPhase.AB, "aa-passed"), (audit.From, audit.To, audit.Status));
        Assert.Equal("aa-passed", audit.Analysis.GetProperty("verdict").GetProperty("status").GetString());
        Assert.Equal(1200, audit.Analysis.GetProperty("arms").EnumerateArray().Sum(a => a.GetProperty("units").GetInt64()));

        var again = Assert.Single(await s.Autopilot.RunOnceAsync());
        Assert.Equal(ExperimentAutopilot.None, again.Action);
        Assert.Single(await s.Store.ListAuditAsync("auto-aa"));
    }

    [Fact]
    public async Task AaCheckFails_LeavesTheExperimentInAa()
    {
        var s = Create("aa-fail");
        await StartAsync(s, "auto-aa-fail", Everything, ab: false);
        // A logging bug: the challenger looks far more accurate than the champion although both serve the same model.
        await LogAsync(s, new SyntheticLog { Experiment = "auto-aa-fail", Phase = "aa", UnitsPerArm = 600, Arms = [("champion", 0.7, 1), ("challenger", 0.9, 1)] });

        var step = Assert.Single(await s.Autopilot.RunOnceAsync());

        Assert.Equal((ExperimentAutopilot.None, "aa-failed"), (step.Action, step.Status));
        Assert.Equal(ExperimentPhase.AA, (await s.Store.GetAsync("auto-aa-fail"))!.Definition.Phase);
        Assert.Empty(await s.Store.ListAuditAsync("auto-aa-fail"));
    }

    [Fact]
    public async Task ChallengerBreaksAGuardrail_StopsTheTest_WithNoWinner()
    {
        var s = Create("breach");
        await StartAsync(s, "auto-breach", Everything, ab: true, new Guardrail("accuracy", 0.02));
        await LogAsync(s, new SyntheticLog { Experiment = "auto-breach", UnitsPerArm = 3000, Seed = 5, Arms = [("champion", 0.8, 1.0), ("challenger", 0.7, 0.85)] });

        var step = Assert.Single(await s.Autopilot.RunOnceAsync());

        Assert.Equal((ExperimentAutopilot.Stop, "ab-guardrail-breached"), (step.Action, step.Status));
        var d = (await s.Store.GetAsync("auto-breach"))!.Definition;
        Assert.Equal((ExperimentPhase.Decided, (string?)null), (d.Phase, d.Winner));
        Assert.StartsWith("autopilot: ab-guardrail-breached (audit/auto-breach/ab-stop.json)", d.History[^1].Reason, StringComparison.Ordinal);
        Assert.Equal("stop", Assert.Single(await s.Store.ListAuditAsync("auto-breach")).Action);
        Assert.Null(await s.Store.GetSlotAsync("auto-breach-slot"));
    }

    [Fact]
    public async Task AWinner_IsDecidedAndPromotedIntoTheSlot()
    {
        var s = Create("win");
        await StartAsync(s, "auto-win", Everything, ab: true, new Guardrail("accuracy", 0.01));
        await LogAsync(s, new SyntheticLog { Experiment = "auto-win", UnitsPerArm = 3000, Seed = 6, Arms = [("champion", 0.78, 1.0), ("challenger", 0.86, 0.95)] });

        var step = Assert.Single(await s.Autopilot.RunOnceAsync());

        Assert.Equal((ExperimentAutopilot.Promote, "ab-winner"), (step.Action, step.Status));
        var d = (await s.Store.GetAsync("auto-win"))!.Definition;
        Assert.Equal((ExperimentPhase.Promoted, "challenger"), (d.Phase, d.Winner));
        Assert.Equal("intent@2", (await s.Store.GetSlotAsync("auto-win-slot"))!.Value.Slot.Champion);

        var timeline = ExperimentAutopilot.Timeline(d, await s.Store.ListAuditAsync("auto-win"));
        Assert.Equal(
            [("draft", "aa", "person", (string?)null, false), ("aa", "ab", "person", null, true), ("ab", "decided", "autopilot", "ab-winner", false), ("decided", "promoted", "autopilot", "ab-winner", false)],
            timeline.Select(t => (t.From, t.To, t.By, t.Status, t.Forced)));
    }

    [Fact]
    public async Task NoAutomationDeclared_TheAutopilotTouchesNothing()
    {
        var s = Create("manual");
        await StartAsync(s, "auto-manual", null, ab: false);
        await LogAsync(s, new SyntheticLog { Experiment = "auto-manual", Phase = "aa", UnitsPerArm = 600, Seed = 11 });

        Assert.Empty(await s.Autopilot.RunOnceAsync());
        Assert.Equal(ExperimentPhase.AA, (await s.Store.GetAsync("auto-manual"))!.Definition.Phase);
    }

    [Theory]
    [InlineData("audit/")]
    [InlineData("experiments/")]
    [InlineData("slots/")]
    public async Task AWriteFails_TheNextPassFinishes_WithOnePromotionAndOneAuditEntry(string failing)
    {
        var s = Create("retry-" + failing.TrimEnd('/'));
        string id = "auto-retry-" + failing.TrimEnd('/');
        await StartAsync(s, id, Everything, ab: true);
        await LogAsync(s, new SyntheticLog { Experiment = id, UnitsPerArm = 3000, Seed = 6, Arms = [("champion", 0.78, 1.0), ("challenger", 0.86, 0.95)] });

        s.Faults.FailNextWrite(failing);
        await Assert.ThrowsAsync<Azure.RequestFailedException>(() => s.Autopilot.RunOnceAsync());
        await s.Autopilot.RunOnceAsync();

        var d = (await s.Store.GetAsync(id))!.Definition;
        Assert.Equal((ExperimentPhase.Promoted, "challenger"), (d.Phase, d.Winner));
        var slot = (await s.Store.GetSlotAsync(id + "-slot"))!.Value.Slot;
        Assert.Equal("intent@2", slot.Champion);
        Assert.Equal(["intent@1"], slot.Previous);
        Assert.Single(d.History, h => h.To == ExperimentPhase.Decided);
        Assert.Single(await s.Store.ListAuditAsync(id));
        Assert.All(await s.Autopilot.RunOnceAsync(), step => Assert.Equal(ExperimentAutopilot.None, step.Action));
    }
}
