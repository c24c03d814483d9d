using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Verdict.DuckDb;
using Verdict.Experimentation.Analysis;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Analysis;

/// <summary>
/// sql/aggregates.sql is shared by the DuckDB engine and the Spark job, and only DuckDB runs here: these checks hold it
/// to the subset both dialects share, and to the step format both runners read.
/// </summary>
public sealed partial class AggregateSqlTests
{
    private static readonly IReadOnlyList<AggregateStep> Steps = AggregateSteps.Parse(DuckDbEngine.Script());

    /// <summary>Functions in both DuckDB's and Spark SQL's built-in function lists, with the same meaning.</summary>
    private static readonly HashSet<string> SharedFunctions =
        ["count", "sum", "avg", "min", "max", "var_pop", "covar_pop", "coalesce", "row_number", "ln", "power", "floor", "least", "cast"];

    /// <summary>Keywords that precede a parenthesis without being a function call.</summary>
    private static readonly HashSet<string> Keywords = ["in", "exists", "from", "join", "over", "and", "or", "not", "as", "on", "select", "all"];

    [Fact]
    public void EveryResultTableIsAResultStep_AndEveryDropNamesAnEarlierTable()
    {
        Assert.Equal(ResultTables.Names.Order(StringComparer.Ordinal), Steps.Where(s => s.Kind == AggregateStepKind.Result).Select(s => s.Name).Order(StringComparer.Ordinal));
        Assert.Equal(Steps.Count, Steps.Select(s => s.Name).Distinct(StringComparer.Ordinal).Count());
        for (int i = 0; i < Steps.Count; i++)
        {
            foreach (string dropped in Steps[i].Drop)
            {
                Assert.Contains(Steps.Take(i + 1), s => s.Name == dropped && s.Kind == AggregateStepKind.Table);
                Assert.DoesNotContain(Steps.Skip(i + 1), s => Regex.IsMatch(s.Query, $@"\b{dropped}\b"));
            }
        }
    }

    [Fact]
    public void TheSharedSql_UsesOnlyWhatDuckDbAndSparkSqlBothRead()
    {
        foreach (var step in Steps)
        {
            foreach (string construct in new[] { "\"", "`", "::", "->", "[", "{", " qualify ", " filter (", "group by all", " exclude ", "varchar", "timestamptz", "struct", "list(" })
            {
                Assert.False(step.Query.Contains(construct, StringComparison.OrdinalIgnoreCase), $"step {step.Name} uses '{construct}', which one of the two dialects lacks");
            }
            foreach (Match call in Call().Matches(step.Query))
            {
                string name = call.Groups[1].Value.ToLowerInvariant();
                Assert.True(SharedFunctions.Contains(name) || Keywords.Contains(name), $"step {step.Name} calls {name}(), which is not in the list of functions both dialects share");
            }
        }
    }

    [Fact]
    public void AStepNamingAParameterWithoutAValue_IsRefused_AndTheFormatIsChecked()
    {
        var step = Steps.First(s => s.Query.Contains(":experiment", StringComparison.Ordinal));

        var error = Assert.Throws<ArgumentException>(() => step.Bind(new Dictionary<string, string>()));
        var format = Assert.Throws<FormatException>(() => AggregateSteps.Parse("-- step x tabel\nSELECT 1"));

        Assert.StartsWith($"step {step.Name}: no value for :", error.Message, StringComparison.Ordinal);
        Assert.Contains("expected '-- step NAME view|table|result [drop NAME...]'", format.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSparkJob_ReadsTheSameStepsAndBindsTheSameSql_AsTheDuckDbEngine()
    {
        var parameters = new Dictionary<string, string>
        {
            ["experiment"] = "'e'", ["sources"] = "3", ["exclude_fallbacks"] = "true", ["as_of"] = "1793741200500000",
            ["since"] = "CAST(NULL AS BIGINT)", ["positive"] = "('positive', 'interested')",
        };
        // spark/verdict_aggregates.py's own parsing, run by Debian's Python (Spark itself is not needed for it).
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryPaths.Root };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("""
            import json, sys
            sys.path.insert(0, "spark")
            import verdict_aggregates as job
            parameters = json.loads(sys.argv[1])
            steps = job.steps(open("sql/aggregates.sql", encoding="utf-8").read())
            print(json.dumps([[name, kind, drops, job.bind(query, parameters, name)] for name, kind, drops, query in steps]))
            print(job.microseconds("2026-11-03T23:26:40.5+02:00", "--as-of"))
            """);
        start.ArgumentList.Add(JsonSerializer.Serialize(parameters));
        using var process = Process.Start(start)!;
        string[] output = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, errors);

        var python = JsonSerializer.Deserialize<List<List<JsonElement>>>(output[0])!;
        Assert.Equal(Steps.Count, python.Count);
        for (int i = 0; i < Steps.Count; i++)
        {
            Assert.Equal(Steps[i].Name, python[i][0].GetString());
            Assert.Equal(Steps[i].Kind.ToString().ToLowerInvariant(), python[i][1].GetString());
            Assert.Equal(Steps[i].Drop, python[i][2].EnumerateArray().Select(d => d.GetString()!));
            Assert.Equal(Steps[i].Bind(parameters), python[i][3].GetString());
        }
        // 2026-11-03T21:26:40.5Z in microseconds since the epoch (`date -u -d @1793741200` prints that instant, to the second).
        Assert.Equal("1793741200500000", output[1]);
    }

    [GeneratedRegex(@"\b([A-Za-z_]+)\s*\(")]
    private static partial Regex Call();
}
