using System.Text.Json;
using Verdict.TestUtilities;

namespace Verdict.Cli.Tests;

/// <summary><c>verdict analyze</c> and <c>verdict power</c>, run as the real executable.</summary>
public sealed class AnalyzeCliTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Log(params string[] lines)
    {
        string path = _temp.Combine($"{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    private static string Scored(int i, string arm) =>
        $$"""{"type":"scored","id":"s{{i}}","ts":"2026-11-01T10:00:00Z","experiment":"e","arm":"{{arm}}","model":"m@1","intent":"positive","confidence":0.9}""";

    private static string Outcome(int i, bool correct, int seconds) =>
        $$"""{"type":"outcome","id":"s{{i}}","ts":"2026-11-01T11:00:00Z","trueIntent":"{{(correct ? "positive" : "objection")}}","handlingSeconds":{{seconds}}}""";

    private string SmallExperiment() => Log([.. Enumerable.Range(0, 200).SelectMany(i => new[] { Scored(i, i % 2 == 0 ? "champion" : "challenger"), Outcome(i, i % 5 != 0, 60 + (i % 37)) })]);

    [Fact]
    public void AaReplay_PrintsEachTestsFalsePositiveRate_AndWritesAPageWithTheChart()
    {
        string log = SmallExperiment();
        string page = _temp.Combine("replay.html");

        var (exit, output, err) = CliTests.Verdict("aa-replay", "--events", log, "--splits", "50", "--seed", "3", "--format", "json");
        var (pageExit, _, pageErr) = CliTests.Verdict("aa-replay", "--events", log, "--splits", "50", "--format", "html", "--out", page);

        Assert.True(exit == 0, err);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal((50, 200L), (doc.RootElement.GetProperty("splits").GetInt32(), doc.RootElement.GetProperty("units").GetInt64()));
        Assert.Contains(doc.RootElement.GetProperty("tests").EnumerateArray(), t => t.GetProperty("metric").GetString() == "accuracy" && t.GetProperty("decisive").GetBoolean());
        // The log has no A/A phase: its own split holds the treatment's effect and is not placed.
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("realSplit").ValueKind);
        Assert.True(pageExit == 0, pageErr);
        string html = File.ReadAllText(page);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("A/A gate", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--splits", "5", "--splits must be between 20 and 100,000.")]
    [InlineData("--alpha", "0.9", "--alpha must be in (0, 0.5].")]
    public void AaReplay_ABadOption_IsOneClearLine(string option, string value, string message)
    {
        var (exit, _, err) = CliTests.Verdict("aa-replay", "--events", SmallExperiment(), option, value);

        Assert.Equal(1, exit);
        Assert.Equal($"error: {message}", err.Trim());
    }

    [Fact]
    public void Aggregate_ThenAnalyzeTheAggregates_GivesWhatAnalysingTheLogGives()
    {
        string log = SmallExperiment();
        string aggregates = _temp.Combine("small.aggregates.jsonl");

        var (writeExit, _, writeErr) = CliTests.Verdict("aggregate", "--events", log, "--out", aggregates);
        var (exit, fromAggregates, err) = CliTests.Verdict("analyze", "--aggregates", aggregates);
        var (_, fromLog, _) = CliTests.Verdict("analyze", "--events", log);

        Assert.True(writeExit == 0, writeErr);
        Assert.True(exit == 0, err);
        Assert.Equal(fromLog, fromAggregates);
        Assert.All(File.ReadLines(aggregates), line => Assert.StartsWith("""{"format":"verdict-aggregates","version":1,""", line, StringComparison.Ordinal));
    }

    [Fact]
    public void AnalyzeWithTheDuckDbEngine_GivesTheBuiltInReadersVerdictAndTests_AndABadMemoryLimitIsOneLine()
    {
        string log = SmallExperiment();

        var (exit, fromDuck, err) = CliTests.Verdict("analyze", "--events", log, "--engine", "duckdb", "--memory-limit", "256MB");
        var (_, fromBuiltin, _) = CliTests.Verdict("analyze", "--events", log);
        var (badExit, _, badErr) = CliTests.Verdict("analyze", "--events", log, "--engine", "duckdb", "--memory-limit", "lots");

        Assert.True(exit == 0, err);
        using var duck = JsonDocument.Parse(fromDuck);
        using var builtin = JsonDocument.Parse(fromBuiltin);
        Assert.Equal(builtin.RootElement.GetProperty("verdict").GetRawText(), duck.RootElement.GetProperty("verdict").GetRawText());
        Assert.Equal(builtin.RootElement.GetProperty("arms").GetRawText(), duck.RootElement.GetProperty("arms").GetRawText());
        Assert.Equal((1, "error: --memory-limit 'lots' is not a size such as 512MB or 4GB."), (badExit, badErr.Trim()));
    }

    [Fact]
    public async Task AggregateFromResultTables_AnalysesAsTheDuckDbEngine_AndNeedsTheTablesOrTheLog()
    {
        string log = SmallExperiment();
        string tables = _temp.Combine("tables");
        string aggregates = _temp.Combine("from-tables.jsonl");
        var (_, fromDuck, _) = CliTests.Verdict("analyze", "--events", log, "--engine", "duckdb", "--memory-limit", "256MB");
        // The result tables as the Spark job leaves them (the DuckDB engine writes the same tables from the same SQL).
        await Verdict.DuckDb.DuckDbEngine.WriteAggregatesAsync(new Verdict.Experimentation.Analysis.AnalysisRequest { Events = [log] },
            new Verdict.DuckDb.DuckDbOptions { MemoryLimit = "256MB", TablesFolder = tables }, Stream.Null);

        var (exit, _, err) = CliTests.Verdict("aggregate", "--tables", tables, "--out", aggregates);
        var (_, fromTables, _) = CliTests.Verdict("analyze", "--aggregates", aggregates);
        var (neitherExit, _, neitherErr) = CliTests.Verdict("aggregate", "--out", aggregates);

        Assert.True(exit == 0, err);
        // Two DuckDB runs sum in parallel, so their statistics may differ in the last bits; the decision and counts may not.
        using var duck = JsonDocument.Parse(fromDuck);
        using var viaTables = JsonDocument.Parse(fromTables);
        Assert.Equal(duck.RootElement.GetProperty("verdict").GetRawText(), viaTables.RootElement.GetProperty("verdict").GetRawText());
        Assert.Equal(duck.RootElement.GetProperty("arms").GetRawText(), viaTables.RootElement.GetProperty("arms").GetRawText());
        Assert.Equal(duck.RootElement.GetProperty("log").GetRawText(), viaTables.RootElement.GetProperty("log").GetRawText());
        Assert.Equal((1, "error: give the log (--events) or the Spark job's result tables (--tables), one of the two."), (neitherExit, neitherErr.Trim()));
    }

    [Fact]
    public async Task AnalyzeACompactedDay_InAFreshProcess_GivesWhatItsLinesGive_AndADamagedOneIsOneLine()
    {
        string log = SmallExperiment();
        string folder = _temp.Combine("compacted-day");
        string file = Path.Combine(folder, "e", "2026-11-01", "compacted-001.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await using (var output = File.Create(file))
        {
            // Two row groups' worth, written as the compactor writes them.
            await Verdict.Experimentation.Events.CompactedLog.WriteAsync(output, File.ReadLinesAsync(log), [], 1_000, CancellationToken.None);
        }

        var (_, fromJsonl, _) = CliTests.Verdict("analyze", "--events", log);
        var (exit, fromCompacted, err) = CliTests.Verdict("analyze", "--events", folder);
        byte[] bytes = await File.ReadAllBytesAsync(file);
        for (int i = bytes.Length / 3; i < bytes.Length / 3 + 200; i++)
        {
            bytes[i] ^= 0x5A;
        }
        await File.WriteAllBytesAsync(file, bytes);
        var (damagedExit, _, damagedErr) = CliTests.Verdict("analyze", "--events", folder);

        Assert.True(exit == 0, err);
        using var jsonl = JsonDocument.Parse(fromJsonl);
        using var compacted = JsonDocument.Parse(fromCompacted);
        Assert.Equal(jsonl.RootElement.GetProperty("verdict").GetRawText(), compacted.RootElement.GetProperty("verdict").GetRawText());
        Assert.Equal(jsonl.RootElement.GetProperty("metrics").GetRawText(), compacted.RootElement.GetProperty("metrics").GetRawText());
        Assert.Equal(1, damagedExit);
        Assert.StartsWith($"error: {file}: ", damagedErr.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", damagedErr, StringComparison.Ordinal);
    }

    [Fact]
    public void AnalyzeAFolder_WithACompactedFileThatIsNotOne_IsOneLineNamingTheFile()
    {
        string folder = _temp.Combine("compacted-log");
        string file = Path.Combine(folder, "e", "2026-11-01", "compacted-001.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "not parquet");

        var (exit, _, err) = CliTests.Verdict("analyze", "--events", folder, "--experiment", "e");

        Assert.Equal(1, exit);
        Assert.StartsWith($"error: {file}: not a compacted log file (", err.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public void AnalyzeAggregates_ABadLine_IsOneLineNamingTheFileAndLine_AndTheLogAndAggregatesTogetherAreRefused()
    {
        string aggregates = _temp.Combine("bad.aggregates.jsonl");
        File.WriteAllLines(aggregates, ["""{"format":"verdict-aggregates","version":1,"experiment":"e","phase":"ab","record":"arm","arm":"a"}"""]);

        var (exit, _, err) = CliTests.Verdict("analyze", "--aggregates", aggregates);
        var (bothExit, _, bothErr) = CliTests.Verdict("analyze", "--aggregates", aggregates, "--events", SmallExperiment());

        Assert.Equal(1, exit);
        Assert.StartsWith($"error: {aggregates}:1: not a partial aggregate:", err.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        Assert.Equal((1, "error: give the log (--events) or partial aggregates (--aggregates), one of the two."), (bothExit, bothErr.Trim()));
    }

    [Fact]
    public void Analyze_Folder_PrintsContractJson()
    {
        string log = SmallExperiment();
        var (exit, output, err) = CliTests.Verdict("analyze", "--events", Path.GetDirectoryName(log)!, "--weights", "champion=1,challenger=1");
        Assert.True(exit == 0, err);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal("e", doc.RootElement.GetProperty("experiment").GetString());
        Assert.Equal(100, doc.RootElement.GetProperty("arms")[0].GetProperty("units").GetInt64());
        Assert.Equal("champion", doc.RootElement.GetProperty("control").GetString());
    }

    [Fact]
    public void Analyze_Guardrails_AreCheckedPerTreatmentInTheJson()
    {
        var (exit, output, err) = CliTests.Verdict("analyze", "--events", SmallExperiment(), "--guardrails", "accuracy=0.5, handlingSeconds=0.9");
        Assert.True(exit == 0, err);
        using var doc = JsonDocument.Parse(output);
        var guardrails = doc.RootElement.GetProperty("guardrails").EnumerateArray().Select(g => (g.GetProperty("metric").GetString(), g.GetProperty("arm").GetString(), g.GetProperty("status").GetString())).ToList();
        Assert.Equal([("accuracy", "challenger", "met"), ("handlingSeconds", "challenger", "met")], guardrails);
        Assert.Equal("peeking-not-protected", doc.RootElement.GetProperty("warnings")[0].GetProperty("code").GetString());
        Assert.StartsWith("warning (peeking-not-protected): No planned sample was given", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_WithAPlannedSample_WarnsOfNothing()
    {
        var (exit, _, err) = CliTests.Verdict("analyze", "--events", SmallExperiment(), "--planned-units", "200");
        Assert.True(exit == 0, err);
        Assert.DoesNotContain("warning", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("speed=0.1", "--guardrails: 'speed' is not a metric (accuracy, handlingSeconds, positiveReplyRate, replyRate).")]
    [InlineData("positiveReplyRate=0.01", "--guardrails: 'positiveReplyRate' is not a metric of model experiments")]
    [InlineData("accuracy=2", "--guardrails: the margin of accuracy must be in (0, 1), in rate points as a fraction (0.01 = one point).")]
    [InlineData("accuracy", "--guardrails: 'accuracy' is not METRIC=MARGIN.")]
    [InlineData("replyRate=0.01", "--guardrails: 'replyRate' is not a metric of model experiments (accuracy, handlingSeconds)")]
    public void Analyze_BadGuardrail_IsNamedWithoutAStackTrace(string value, string message)
    {
        var (exit, output, err) = CliTests.Verdict("analyze", "--events", SmallExperiment(), "--guardrails", value);
        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.Contains(message, err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_MarkdownToFile_WritesTheSummary()
    {
        string out_ = _temp.Combine("report.md");
        var (exit, _, err) = CliTests.Verdict("analyze", "--events", SmallExperiment(), "--format", "md", "--out", out_);
        Assert.True(exit == 0, err);
        Assert.StartsWith("## e: ", File.ReadAllText(out_));
    }

    [Fact]
    public void Analyze_HtmlToFile_WritesAWholeSelfContainedReport()
    {
        string out_ = _temp.Combine("report.html");
        var (exit, _, err) = CliTests.Verdict("analyze", "--events", SmallExperiment(), "--format", "html", "--out", out_);
        Assert.True(exit == 0, err);
        string html = File.ReadAllText(out_);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("<p id=\"verdict\"", html, StringComparison.Ordinal);
        Assert.EndsWith("</html>\n", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_MalformedLineWhenStrict_FailsWithFileAndLine()
    {
        string log = Log(Scored(1, "a"), "{\"type\":\"scored\",", Scored(2, "b"));
        var (exit, _, err) = CliTests.Verdict("analyze", "--events", log, "--strict");
        Assert.Equal(1, exit);
        Assert.StartsWith($"error: {log}:2: not valid JSON", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void Analyze_MalformedLine_IsSkippedAndReported()
    {
        string log = Log(Scored(1, "a"), "{\"type\":\"scored\",", Scored(2, "b"));
        var (exit, output, _) = CliTests.Verdict("analyze", "--events", log);
        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(1, doc.RootElement.GetProperty("log").GetProperty("malformedLines").GetInt64());
    }

    [Theory]
    [InlineData("--weights", "champion=x", "--weights: 'champion=x' is not ARM=WEIGHT")]
    [InlineData("--control", "nobody", "--control nobody: no such arm")]
    [InlineData("--as-of", "yesterday", "--as-of: 'yesterday' is not an RFC 3339 timestamp")]
    public void Analyze_BadOption_NamesIt(string option, string value, string message)
    {
        var (exit, _, err) = CliTests.Verdict("analyze", "--events", SmallExperiment(), option, value);
        Assert.Equal(1, exit);
        Assert.StartsWith("error: " + message, err);
    }

    [Fact]
    public void Analyze_MissingPath_SaysSo()
    {
        var (exit, _, err) = CliTests.Verdict("analyze", "--events", _temp.Combine("nope.jsonl"));
        Assert.Equal(1, exit);
        Assert.EndsWith("nope.jsonl: no such file or folder\n", err);
    }

    [Fact]
    public void Power_Proportion_MatchesRPowerPropTest()
    {
        var (exit, output, err) = CliTests.Verdict("power", "--metric", "proportion", "--baseline", "0.80", "--effect", "0.02");
        Assert.True(exit == 0, err);
        using var doc = JsonDocument.Parse(output);
        // R 4.2: ceiling(power.prop.test(p1=0.80, p2=0.82, sig.level=0.05, power=0.8)$n) -> 6039
        Assert.Equal(6039, doc.RootElement.GetProperty("unitsPerArm").GetDouble());
    }

    [Fact]
    public void Power_DurationWithN_ReportsMinimumDetectableEffect()
    {
        var (exit, output, err) = CliTests.Verdict("power", "--metric", "duration", "--sd", "240", "--n", "1000", "--power", "0.9");
        Assert.True(exit == 0, err);
        using var doc = JsonDocument.Parse(output);
        // R 4.2: power.t.test(n=1000, sd=240, sig.level=0.05, power=0.9)$delta -> 34.808331145162541
        Assert.Equal(34.808331145162541, doc.RootElement.GetProperty("effect").GetDouble(), 1e-3);
    }

    [Fact]
    public void Power_MissingBaseline_NamesTheOption()
    {
        var (exit, _, err) = CliTests.Verdict("power", "--metric", "proportion", "--effect", "0.02");
        Assert.Equal(1, exit);
        Assert.Equal("error: --baseline must be a rate in (0, 1)\n", err);
    }
}
