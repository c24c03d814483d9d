using System.Text;
using Azure.Storage.Blobs;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Experiments;
using Verdict.TestUtilities;

namespace Verdict.Cli.Tests;

/// <summary><c>verdict models retrain</c> as a separate process against Azurite: kept bodies and outcomes in, a published challenger and its experiment out.</summary>
public sealed class RetrainCliTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IDisposable
{
    private static readonly (string Intent, string[] Words)[] Intents =
    [
        ("positive", ["sounds great", "happy to chat", "book a call", "yes please"]),
        ("objection", ["too expensive", "no budget", "already have a vendor", "not convinced"]),
        ("unsubscribe", ["remove me", "stop emailing", "unsubscribe", "take me off"]),
        ("out-of-office", ["on holiday", "out of office", "back next week", "away until monday"]),
    ];

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private (int Exit, string Out, string Err) Verdict(params string[] args) => CliTests.Verdict([.. args, "--storage", azurite.ConnectionString]);

    /// <summary>The slot's champion published and in the slot; <paramref name="emails"/> kept bodies, most with a confirmed intent.</summary>
    private async Task ProductionAsync(string slot, int emails)
    {
        if (!Verdict("models", "list").Out.Contains("replies@1", StringComparison.Ordinal))
        {
            var published = Verdict("models", "publish", "--package", TestModels.CopyLinear(_temp.Combine("champion"), "1"));
            Assert.True(published.Exit == 0, published.Err);
        }
        await new ExperimentStore(new BlobContainerClient(azurite.ConnectionString, ExperimentStore.DefaultContainer))
            .WriteSlotAsync(new ChampionSlot(slot, "replies@1", []), null);
        var bodies = new StringBuilder();
        var outcomes = new StringBuilder();
        var start = new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);
        for (int i = 0; i < emails; i++)
        {
            var (intent, words) = Intents[i % Intents.Length];
            string id = $"{slot}-{i}";
            var at = start.AddMinutes(i);
            bodies.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $$"""{"type":"body","id":"{{id}}","ts":"{{at:yyyy-MM-ddTHH:mm:ssZ}}","slot":"{{slot}}","text":"{{words[i / Intents.Length % words.Length]}}, regarding order {{i}}"}""");
            if (i % 10 != 9)
            {
                outcomes.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $$"""{"type":"outcome","id":"{{id}}","ts":"{{at.AddHours(1):yyyy-MM-ddTHH:mm:ssZ}}","trueIntent":"{{intent}}","handlingSeconds":60}""");
            }
        }
        await Upload($"rt-bodies-{slot}", $"_slot-{slot}/2026-11-22/08/a.jsonl", bodies.ToString());
        await Upload($"rt-events-{slot}", "_unattributed/2026-11-22/09/a.jsonl", outcomes.ToString());
    }

    private async Task Upload(string container, string blob, string text)
    {
        var client = new BlobContainerClient(azurite.ConnectionString, container);
        await client.CreateIfNotExistsAsync();
        await client.GetBlobClient(blob).UploadAsync(BinaryData.FromString(text), overwrite: true);
    }

    [Fact]
    public async Task Retrain_FromKeptBodiesAndOutcomes_PublishesAChallengerAndCreatesItsExperiment()
    {
        await ProductionAsync("support", 400);

        var (exit, output, err) = Verdict("models", "retrain", "--slot", "support", "--bodies-container", "rt-bodies-support", "--event-container", "rt-events-support", "--start");

        Assert.True(exit == 0, err);
        // The next version of the champion's name (other tests of this class may have published some).
        var trained = System.Text.RegularExpressions.Regex.Match(output, @"replies@(?<v>\d+): trained on 360 kept emails \(linear\)");
        Assert.True(trained.Success, output);
        string version = trained.Groups["v"].Value;
        Assert.Contains($"replies@{version}", Verdict("models", "list").Out, StringComparison.Ordinal);
        var experiment = (await new ExperimentStore(new BlobContainerClient(azurite.ConnectionString, ExperimentStore.DefaultContainer)).GetAsync($"support-retrain-{version}"))!.Definition;
        Assert.Equal(("support", ExperimentPhase.AA), (experiment.SlotName, experiment.Phase));
        Assert.Equal(["replies@1", $"replies@{version}"], experiment.Arms.Select(a => a.Serves));
        Assert.True(experiment.Automation is { StartAb: true, StopOnGuardrailBreach: true, PromoteWinner: false });
        Assert.Equal("accuracy", Assert.Single(experiment.Guardrails).Metric);
    }

    [Fact]
    public async Task Retrain_AfterARunThatPublishedButDidNotCreateTheExperiment_FinishesItWithoutPublishingAgain()
    {
        await ProductionAsync("resume", 200);
        // An earlier run recorded its version and published it, then failed before the experiment was written.
        await Upload(ExperimentStore.DefaultContainer, "retrain/resume.json", """{"slot":"resume","version":"7","champion":"replies@1"}""");
        var published = Verdict("models", "publish", "--package", TestModels.CopyLinear(_temp.Combine("earlier"), "7"));
        Assert.True(published.Exit == 0, published.Err);

        var (exit, output, err) = Verdict("models", "retrain", "--slot", "resume", "--bodies-container", "rt-bodies-resume", "--event-container", "rt-events-resume");

        Assert.True(exit == 0, err);
        Assert.Contains("replies@7: published by an earlier retrain of 'resume' that did not finish", output, StringComparison.Ordinal);
        Assert.DoesNotContain("replies@8 ", Verdict("models", "list").Out, StringComparison.Ordinal);
        var store = new ExperimentStore(new BlobContainerClient(azurite.ConnectionString, ExperimentStore.DefaultContainer));
        Assert.Equal(["replies@1", "replies@7"], (await store.GetAsync("resume-retrain-7"))!.Definition.Arms.Select(a => a.Serves));
        Assert.False(await new BlobContainerClient(azurite.ConnectionString, ExperimentStore.DefaultContainer).GetBlobClient("retrain/resume.json").ExistsAsync());

        // Run again: nothing left to finish, so a new version is trained.
        var again = Verdict("models", "retrain", "--slot", "resume", "--bodies-container", "rt-bodies-resume", "--event-container", "rt-events-resume");
        Assert.True(again.Exit == 0, again.Err);
        Assert.Contains("replies@8: trained on", again.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retrain_TooFewLabelledEmails_SaysHowManyAndWhatToDo()
    {
        await ProductionAsync("sparse", 20);

        var (exit, _, err) = Verdict("models", "retrain", "--slot", "sparse", "--bodies-container", "rt-bodies-sparse", "--event-container", "rt-events-sparse");

        Assert.Equal(1, exit);
        Assert.Contains("18 kept emails of 'sparse' have a true intent; at least 50 are needed", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Retrain_ASlotWithoutAChampion_IsNamed()
    {
        var (exit, _, err) = Verdict("models", "retrain", "--slot", "nobody");
        Assert.Equal(1, exit);
        Assert.Contains("slot 'nobody' has no champion yet", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeptExamples_JoinBodiesWithTheLatestTrueIntent_AndLeaveOutUnconfirmedOnes()
    {
        await Upload("ke-bodies", "_slot-x/2026-11-22/08/a.jsonl", """
            {"type":"body","id":"a","ts":"2026-11-22T08:00:00Z","slot":"x","text":"hello a"}
            {"type":"body","id":"b","ts":"2026-11-22T08:00:00Z","slot":"x","text":"hello b"}
            """);
        await Upload("ke-events", "_unattributed/2026-11-22/09/a.jsonl", """
            {"type":"outcome","id":"a","ts":"2026-11-22T09:00:00Z","trueIntent":"objection"}
            {"type":"outcome","id":"a","ts":"2026-11-22T10:00:00+02:00","trueIntent":"stale"}
            {"type":"outcome","id":"a","ts":"2026-11-22T09:30:00Z","trueIntent":"positive"}
            {"type":"outcome","id":"b","ts":"2026-11-22T09:00:00Z","handlingSeconds":12}
            """);

        var examples = await KeptExamples.ReadAsync(["blob://ke-bodies/"], ["blob://ke-events/"], new BlobServiceClient(azurite.ConnectionString));

        Assert.Equal([new LabelledEmail("a", "hello a", "positive")], examples);
    }
}
