using System.Diagnostics;
using System.Text.Json;
using Azure.Storage.Blobs;
using Verdict.TestUtilities;

namespace Verdict.Cli.Tests;

/// <summary>
/// <c>verdict simulate</c> end to end against a real Azurite: traffic through the real assigner and event log,
/// then <c>verdict analyze</c> on the log; the queue path survives a kill -9.
/// </summary>
public sealed class SimulateCliTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private (int Exit, string Out, string Err) Verdict(params string[] args) =>
        CliTests.Verdict([.. args, "--storage", azurite.ConnectionString]);

    /// <summary>Creates a champion/challenger experiment (planned 2,629 units per arm: 0.80 → 0.83) and starts its A/A phase.</summary>
    private void StartAa(string id)
    {
        Create(id);
        var started = Verdict("experiments", "start-aa", id);
        Assert.True(started.Exit == 0, started.Err);
    }

    private void Create(string id)
    {
        string path = _temp.Combine(id + ".json");
        File.WriteAllText(path, $$"""
            {
              "id": "{{id}}",
              "arms": [
                { "name": "champion", "weight": 0.5, "serves": "replies@1" },
                { "name": "challenger", "weight": 0.5, "serves": "replies@2" }
              ],
              "baseline": 0.8,
              "minimumDetectableEffect": 0.03,
              "seed": "{{id}}-seed"
            }
            """);
        var created = Verdict("experiments", "create", "--file", path, "--registry", ExperimentsCliTests.Registry.Value);
        Assert.True(created.Exit == 0, created.Err);
    }

    private JsonElement Analyze(string id, string container, params string[] extra)
    {
        var (exit, output, err) = Verdict(["analyze", "--events", $"log://{container}", "--experiment", id, .. extra]);
        Assert.True(exit == 0, err);
        return JsonDocument.Parse(output).RootElement;
    }

    private (int Exit, string Out, string Err) Simulate(string id, string container, params string[] extra) =>
        SimulateFrom("2026-11-22T08:00:00Z", id, container, extra);

    private (int Exit, string Out, string Err) SimulateFrom(string start, string id, string container, params string[] extra) =>
        Verdict(["simulate", "--experiment", id, "--log-container", container, "--start", start, .. extra]);

    private static JsonElement Comparison(JsonElement result, string metric, string test) =>
        result.GetProperty("metrics").EnumerateArray().Single(m => m.GetProperty("metric").GetString() == metric)
            .GetProperty("comparisons").EnumerateArray().Single(c => c.GetProperty("test").GetString() == test);

    [Fact]
    public void Simulate_AaThenAb_AaPassesThenBothEffectsAreFound()
    {
        StartAa("sim-ab");
        // Effects belong to the challenger's model, which the A/A phase does not serve yet.
        var aa = Simulate("sim-ab", "sim-ab-log", "--units", "6000", "--seed", "aa", "--accuracy-by", "challenger=0.83", "--handling-effect", "challenger=-0.066");
        Assert.True(aa.Exit == 0, aa.Err);
        var aaResult = Analyze("sim-ab", "sim-ab-log", "--planned-units", "5258");
        Assert.Equal("aa-passed", aaResult.GetProperty("verdict").GetProperty("status").GetString());

        var ab = Verdict("experiments", "start-ab", "sim-ab", "--events", "log://sim-ab-log");
        Assert.True(ab.Exit == 0, ab.Err);
        var run = SimulateFrom("2026-11-22T12:00:00Z", "sim-ab", "sim-ab-log", "--units", "40000", "--seed", "ab",
            "--accuracy-by", "challenger=0.83", "--handling-effect", "challenger=-0.066");
        Assert.True(run.Exit == 0, run.Err);
        var result = Analyze("sim-ab", "sim-ab-log", "--planned-units", "5258", "--phase", "ab");

        Assert.Equal("ab-winner", result.GetProperty("verdict").GetProperty("status").GetString());
        Assert.StartsWith("challenger", result.GetProperty("verdict").GetProperty("summary").GetString(), StringComparison.Ordinal);
        var accuracy = Comparison(result, "accuracy", "two-proportion-z");
        Assert.True(accuracy.GetProperty("significant").GetBoolean());
        Assert.InRange(accuracy.GetProperty("diff").GetDouble(), 0.02, 0.04);
        var handling = Comparison(result, "handlingSeconds", "welch-t-log");
        Assert.True(handling.GetProperty("significant").GetBoolean());
        Assert.InRange(handling.GetProperty("relLift").GetDouble(), -0.09, -0.045);
        Assert.All(result.GetProperty("arms").EnumerateArray(), a => Assert.InRange(a.GetProperty("units").GetInt64(), 19_000, 21_000));
    }

    [Fact]
    public void ModelsDrift_OnASimulatedDecay_ShowsAccuracyFallingDayByDay()
    {
        StartAa("sim-drift");
        Assert.Equal(0, Verdict("experiments", "start-ab", "sim-drift", "--force", "testing drift").Exit);
        // 10,000 emails 43.2 s apart: five days, the challenger's model 90% accurate on the first and 5 points worse each day after.
        var run = SimulateFrom("2026-11-22T00:00:00Z", "sim-drift", "sim-drift-log", "--units", "10000", "--spacing-ms", "43200",
            "--accuracy-by", "challenger=0.9", "--accuracy-decay-per-day", "0.05");
        Assert.True(run.Exit == 0, run.Err);

        var (exit, output, err) = Verdict("models", "drift", "replies@2", "--events", "blob://sim-drift-log/", "--format", "json");

        Assert.True(exit == 0, err);
        using var doc = JsonDocument.Parse(output);
        var days = doc.RootElement.GetProperty("days").EnumerateArray().ToList();
        Assert.Equal(5, days.Count);
        var accuracy = days.Select(d => d.GetProperty("accuracy").GetProperty("value").GetDouble()).ToList();
        for (int d = 0; d < 5; d++)
        {
            Assert.InRange(accuracy[d], 0.9 - (0.05 * d) - 0.04, 0.9 - (0.05 * d) + 0.04);
        }
        Assert.All(days, d => Assert.InRange(d.GetProperty("predictions").GetInt64(), 900, 1100));
        var change = doc.RootElement.GetProperty("accuracyChange");
        Assert.True(change.GetProperty("diff").GetDouble() < -0.15 && change.GetProperty("pValue").GetDouble() < 0.001, change.ToString());
        Assert.Equal("first-day", doc.RootElement.GetProperty("reference").GetString());

        var (mdExit, md, mdErr) = Verdict("models", "drift", "replies@2", "--events", "blob://sim-drift-log/");
        Assert.True(mdExit == 0, mdErr);
        Assert.Contains("| 2026-11-22 |", md, StringComparison.Ordinal);
        Assert.Contains("Accuracy, last day against the first: −", md, StringComparison.Ordinal);

        string page = _temp.Combine("drift.html");
        var (htmlExit, _, htmlErr) = Verdict("models", "drift", "replies@2", "--events", "blob://sim-drift-log/", "--format", "html", "--out", page);
        Assert.True(htmlExit == 0, htmlErr);
        string html = File.ReadAllText(page);
        Assert.Contains("<h1>replies@2: drift</h1>", html, StringComparison.Ordinal);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("<td>2026-11-26</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelsDrift_AModelTheLogNeverNames_IsAClearError()
    {
        var (exit, _, err) = Verdict("models", "drift", "ghost@9", "--events", "blob://sim-drift-none/");
        Assert.Equal(1, exit);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Simulate_ChallengerExposuresDropped_FlagsTheSampleRatioAndDeclaresNoWinner()
    {
        StartAa("sim-srm");
        Assert.Equal(0, Verdict("experiments", "start-ab", "sim-srm", "--force", "testing the sample-ratio check").Exit);
        var run = Simulate("sim-srm", "sim-srm-log", "--units", "40000", "--accuracy-by", "challenger=0.83", "--handling-effect", "challenger=-0.066",
            "--drop-exposures", "challenger=0.05");
        Assert.True(run.Exit == 0, run.Err);
        var summary = JsonDocument.Parse(run.Out).RootElement;
        Assert.InRange(summary.GetProperty("exposuresDropped").GetInt64(), 800, 1200);

        var result = Analyze("sim-srm", "sim-srm-log", "--planned-units", "5258");

        Assert.True(result.GetProperty("srm").GetProperty("mismatch").GetBoolean());
        Assert.True(result.GetProperty("srm").GetProperty("pValue").GetDouble() < 0.001);
        Assert.Equal("srm-mismatch", result.GetProperty("verdict").GetProperty("status").GetString());
    }

    [Fact]
    public void Assign_TwoSeparateProcesses_GiveIdenticalArms()
    {
        StartAa("sim-assign");
        Assert.Equal(0, Verdict("experiments", "start-ab", "sim-assign", "--force", "assignment check").Exit);

        var first = Verdict("experiments", "assign", "sim-assign", "--units", "5000");
        var second = Verdict("experiments", "assign", "sim-assign", "--units", "5000");

        Assert.True(first.Exit == 0, first.Err);
        Assert.Equal(5000, first.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(first.Out, second.Out);
        Assert.Contains("\tchallenger\treplies@2\tallocated\n", first.Out, StringComparison.Ordinal);
        Assert.Contains("\tchampion\treplies@1\tallocated\n", first.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SimulateViaQueue_KilledMidRun_EveryAcknowledgedEmailIsLoggedExactlyOnceAfterRestart()
    {
        StartAa("sim-kill");
        const int Units = 1500;
        string[] common = ["simulate", "--experiment", "sim-kill", "--units", $"{Units}", "--via-queue", "sim-kill-q", "--log-container", "sim-kill-log",
            "--visibility-timeout", "2", "--storage", azurite.ConnectionString];
        string ackedBeforeKill = _temp.Combine("acked-1.txt"), ackedAfter = _temp.Combine("acked-2.txt");

        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "verdict")) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in (string[])[.. common, "--acked", ackedBeforeKill])
        {
            start.ArgumentList.Add(arg);
        }
        using (var process = Process.Start(start)!)
        {
            _ = process.StandardOutput.ReadToEndAsync();
            string? line;
            while ((line = await process.StandardError.ReadLineAsync()) is not null && !(line.StartsWith("acknowledged ", StringComparison.Ordinal) && int.Parse(line[13..], System.Globalization.CultureInfo.InvariantCulture) >= 200))
            {
            }
            Assert.NotNull(line);
            process.Kill(); // SIGKILL: no flush, no cleanup.
            await process.WaitForExitAsync();
        }
        var before = File.ReadAllLines(ackedBeforeKill);
        Assert.InRange(before.Length, 200, Units - 1);

        var resumed = Verdict([.. common[..^2], "--resume", "--acked", ackedAfter]);
        Assert.True(resumed.Exit == 0, resumed.Err);

        // Every email acknowledged before the kill has its events in the raw log ...
        var lines = new List<string>();
        var log = new BlobContainerClient(azurite.ConnectionString, "sim-kill-log");
        await foreach (var blob in log.GetBlobsAsync())
        {
            lines.AddRange((await log.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        var scored = lines.Where(l => l.StartsWith("{\"type\":\"scored\"", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!).ToList();
        Assert.Empty(before.Except(scored));
        Assert.Empty(File.ReadAllLines(ackedAfter).Except(scored));
        // ... every email of the run is there at least once, and once after deduplication.
        Assert.Equal(Units, scored.Distinct().Count());
        var result = Analyze("sim-kill", "sim-kill-log");
        Assert.Equal(Units, result.GetProperty("arms").EnumerateArray().Sum(a => a.GetProperty("exposures").GetInt64()));
        Assert.Equal(scored.Count - Units, result.GetProperty("log").GetProperty("duplicateExposures").GetInt64());
        var queue = new Azure.Storage.Queues.QueueClient(azurite.ConnectionString, "sim-kill-q");
        Assert.Equal(0, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Fact]
    public void Simulate_ExperimentInDraft_RefusesWithTheNextStep()
    {
        Create("sim-draft");

        var (exit, _, err) = Simulate("sim-draft", "sim-draft-log");

        Assert.Equal(1, exit);
        Assert.Equal("error: experiment 'sim-draft' is draft: simulate needs it in its A/A or A/B phase (verdict experiments start-aa sim-draft)", err.Trim());
    }

    [Fact]
    public void Simulate_EffectForAnUnknownArm_NamesTheOptionAndArm()
    {
        StartAa("sim-bad-arm");

        var (exit, _, err) = Simulate("sim-bad-arm", "sim-bad-arm-log", "--handling-effect", "ghost=-0.1");

        Assert.Equal(1, exit);
        Assert.Equal("error: --handling-effect: experiment 'sim-bad-arm' has no arm 'ghost' (it has champion, challenger)", err.Trim());
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }
}
