using System.Text.RegularExpressions;

namespace Verdict.DuckDb;

/// <summary>How a step's query is kept.</summary>
public enum AggregateStepKind
{
    /// <summary>A named query, run where it is read.</summary>
    View,

    /// <summary>Materialised; the engine spills it as it needs.</summary>
    Table,

    /// <summary>Materialised, and read back (DuckDB) or written out (Spark) as a result table.</summary>
    Result,
}

/// <summary>One step of sql/aggregates.sql: <c>-- step NAME KIND [drop NAME...]</c> and the query below it, comments removed.</summary>
public sealed partial record AggregateStep(string Name, AggregateStepKind Kind, IReadOnlyList<string> Drop, string Query)
{
    /// <summary>The query with every <c>:parameter</c> replaced by its SQL text.</summary>
    /// <exception cref="ArgumentException">The query names a parameter that <paramref name="parameters"/> lacks.</exception>
    public string Bind(IReadOnlyDictionary<string, string> parameters) =>
        Parameter().Replace(Query, m => parameters.TryGetValue(m.Groups[1].Value, out string? value)
            ? value
            : throw new ArgumentException($"step {Name}: no value for :{m.Groups[1].Value}", nameof(parameters)));

    [GeneratedRegex(@"(?<![:\w]):([a-z_]+)\b")]
    private static partial Regex Parameter();
}

/// <summary>Parses sql/aggregates.sql into its steps.</summary>
public static class AggregateSteps
{
    /// <summary>The steps, in order.</summary>
    /// <exception cref="FormatException">A step line is malformed, or the script holds no step.</exception>
    public static IReadOnlyList<AggregateStep> Parse(string script)
    {
        ArgumentNullException.ThrowIfNull(script);
        var steps = new List<AggregateStep>();
        string? header = null;
        var query = new List<string>();
        void Flush()
        {
            if (header is null)
            {
                return;
            }
            string[] words = header.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 2 || !Enum.TryParse(words[1], ignoreCase: true, out AggregateStepKind kind) || (words.Length > 2 && words[2] != "drop"))
            {
                throw new FormatException($"'-- step {header}': expected '-- step NAME view|table|result [drop NAME...]'");
            }
            steps.Add(new AggregateStep(words[0], kind, words.Skip(3).ToList(), string.Join("\n", query).Trim()));
            query.Clear();
        }
        foreach (string line in script.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            if (line.StartsWith("-- step ", StringComparison.Ordinal))
            {
                Flush();
                header = line["-- step ".Length..].Trim();
            }
            else if (header is not null && !line.TrimStart().StartsWith("--", StringComparison.Ordinal))
            {
                query.Add(line);
            }
        }
        Flush();
        return steps.Count > 0 ? steps : throw new FormatException("no '-- step' line");
    }
}
