using System.Diagnostics;
using Verdict.TestUtilities;

namespace Verdict.Cli.Tests;

/// <summary><c>verdict experiments</c> as separate processes against a real Azurite.</summary>
public sealed class ExperimentsCliTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IDisposable
{
    private readonly TempDirectory _temp = new();

    // replies@1 and replies@2, published once for the class through the real CLI.
    internal static readonly Lazy<string> Registry = new(() =>
    {
        string root = Path.Combine(Path.GetTempPath(), "verdict-tests", "experiments-registry-" + Guid.NewGuid().ToString("N"));
        foreach (string version in new[] { "1", "2" })
        {
            string package = TestModels.CopyLinear(Path.Combine(root, "package-" + version), version);
            var (exit, _, err) = CliTests.Verdict("models", "publish", "--registry", Path.Combine(root, "registry"), "--package", package);
            Assert.True(exit == 0, err);
        }
        return Path.Combine(root, "registry");
    });

    public void Dispose() => _temp.Dispose();

    private (int Exit, string Out, string Err) Create(string definition) =>
        Verdict("experiments", "create", "--file", definition, "--registry", Registry.Value);

    private string Definition(string id, double challengerWeight = 0.5, string challengerModel = "replies@2")
    {
        string path = _temp.Combine(id + ".json");
        File.WriteAllText(path, $$"""
            {
              "id": "{{id}}",
              "arms": [
                { "name": "champion", "weight": 0.5, "serves": "replies@1" },
                { "name": "challenger", "weight": {{challengerWeight}}, "serves": "{{challengerModel}}" }
              ],
              "baseline": 0.8,
              "minimumDetectableEffect": 0.03,
              "seed": "s1"
            }
            """);
        return path;
    }

    private (int Exit, string Out, string Err) Verdict(params string[] args) =>
        CliTests.Verdict([.. args, "--storage", azurite.ConnectionString]);

    [Fact]
    public async Task Autopilot_OnePass_StartsTheAbTestOfAnExperimentWhoseAaCheckPassed()
    {
        string path = _temp.Combine("auto-cli.json");
        File.WriteAllText(path, """
            {
              "id": "auto-cli",
              "arms": [
                { "name": "champion", "weight": 0.5, "serves": "replies@1" },
                { "name": "challenger", "weight": 0.5, "serves": "replies@2" }
              ],
              "baseline": 0.8,
              "minimumDetectableEffect": 0.1,
              "automation": { "startAb": true },
              "seed": "auto"
            }
            """);
        Assert.Equal(0, Create(path).Exit);
        Assert.Equal(0, Verdict("experiments", "start-aa", "auto-cli").Exit);
        var events = new Azure.Storage.Blobs.BlobContainerClient(azurite.ConnectionString, "events-auto-cli");
        await events.CreateIfNotExistsAsync();
        var log = new SyntheticLog { Experiment = "auto-cli", Phase = "aa", UnitsPerArm = 600, Seed = 11 };
        await events.GetBlobClient("auto-cli/2026-11-01/00/aa.jsonl").UploadAsync(BinaryData.FromString(string.Join("\n", log.Lines())));

        var (exit, output, err) = Verdict("experiments", "autopilot", "--event-container", "events-auto-cli");

        Assert.True(exit == 0, err);
        using var steps = System.Text.Json.JsonDocument.Parse(output);
        var step = steps.RootElement.EnumerateArray().Single(s => s.GetProperty("experiment").GetString() == "auto-cli");
        Assert.Equal(("start-ab", "aa-passed"), (step.GetProperty("action").GetString(), step.GetProperty("status").GetString()));
        Assert.Contains("\"phase\": \"ab\"", Verdict("experiments", "show", "auto-cli").Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Storage_NeitherAConnectionStringNorAnAccountName_ExitsNamingTheOption()
    {
        var (exit, _, err) = CliTests.Verdict("experiments", "list", "--storage", "Not_An-Account");
        Assert.Equal(1, exit);
        Assert.Equal("error: --storage 'Not_An-Account' is not a storage account name (3 to 24 lower-case letters and digits).", err.Trim());
    }

    [Fact]
    public void Create_WeightsNotSummingToOne_ExitsWithTheFieldNamed()
    {
        var (exit, _, err) = Create(Definition("bad-weights", 0.4));
        Assert.Equal(1, exit);
        Assert.Equal("error: arms: the weights sum to 0.9; they must sum to 1", err.Trim());
    }

    [Fact]
    public void Create_UnpublishedModel_ExitsWithTheArmNamed()
    {
        var (exit, _, err) = Create(Definition("unpublished", challengerModel: "replies@9"));
        Assert.Equal(1, exit);
        Assert.Equal("error: arms[1].serves 'replies@9' is not a published model", err.Trim());
    }

    [Fact]
    public void Lifecycle_StartAbBeforeTheAaCheck_IsRefusedThenForcedWithTheReasonRecorded()
    {
        Assert.Equal(0, Create(Definition("cli-life")).Exit);
        var skip = Verdict("experiments", "start-ab", "cli-life", "--force", "x");
        Assert.Equal((1, "error: phase: 'cli-life' is draft; it must be aa to move to ab"), (skip.Exit, skip.Err.Trim()));
        Assert.Equal(0, Verdict("experiments", "start-aa", "cli-life").Exit);

        var refused = Verdict("experiments", "start-ab", "cli-life");
        Assert.Equal(1, refused.Exit);
        Assert.StartsWith("error: phase: the A/A check of 'cli-life' has not passed (not run)", refused.Err, StringComparison.Ordinal);

        var forced = Verdict("experiments", "start-ab", "cli-life", "--force", "A/A ran elsewhere");
        Assert.Equal(0, forced.Exit);
        Assert.Contains("\"reason\": \"A/A ran elsewhere\"", forced.Out, StringComparison.Ordinal);
        Assert.Contains("cli-life\tmodel\tab\tchampion=replies@1, challenger=replies@2", Verdict("experiments", "list").Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAb_TwoProcessesRacing_ExactlyOneWinsTheOtherGetsAClearError()
    {
        Assert.Equal(0, Create(Definition("cli-race")).Exit);
        Assert.Equal(0, Verdict("experiments", "start-aa", "cli-race").Exit);
        var racers = await Task.WhenAll(Enumerable.Range(0, 2).Select(i => Task.Run(() => Verdict("experiments", "start-ab", "cli-race", "--force", $"racer {i}"))));
        Assert.Single(racers, r => r.Exit == 0);
        var loser = racers.Single(r => r.Exit != 0).Err.Trim();
        Assert.True(
            loser == "error: conflict: experiment 'cli-race' was changed by someone else; read it again and retry"
                || loser == "error: phase: 'cli-race' is ab; it must be aa to move to ab",
            loser);
    }
}
