using System.Text.RegularExpressions;
using Verdict.DuckDb;
using Verdict.Experimentation.Analysis;

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

    [GeneratedRegex(@"\b([A-Za-z_]+)\s*\(")]
    private static partial Regex Call();
}
