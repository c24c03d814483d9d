using System.CommandLine;
using Verdict.Scoring;
using Verdict.Training;

namespace Verdict.Cli;

/// <summary>Runs a command and turns the libraries' expected failures into one clear line and exit code 1 — never a stack trace.</summary>
internal static class CliRunner
{
    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        try
        {
            var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
            return await root.Parse(args).InvokeAsync(configuration).ConfigureAwait(false);
        }
        catch (Exception ex) when (Describe(ex) is { } message)
        {
            await Console.Error.WriteLineAsync($"error: {message}").ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>The user-facing message of an expected failure, or null for a bug (which keeps its stack trace).</summary>
    internal static string? Describe(Exception ex) => ex switch
    {
        TrainingDataException data => data.Message,
        ScoringException scoring => $"{scoring.Message} ({scoring.Error})",
        CliException cli => cli.Message,
        Verdict.Experimentation.Events.EventLogException log => log.Message,
        DuckDB.NET.Data.DuckDBException duck => $"DuckDB: {duck.Message}",
        Verdict.Experimentation.Events.EventLogWriteException write => write.Message,
        Verdict.Experimentation.Experiments.ExperimentDefinitionException definition => definition.Message,
        Verdict.Experimentation.Experiments.ExperimentConflictException conflict => $"conflict: {conflict.Message}",
        IOException io => io.Message,
        UnauthorizedAccessException access => access.Message,
        Azure.RequestFailedException storage => $"storage request failed: {storage.Status} {storage.ErrorCode}",
        _ => null,
    };
}
