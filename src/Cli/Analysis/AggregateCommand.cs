using System.CommandLine;
using Verdict.Experimentation.Analysis;

namespace Verdict.Cli.Analysis;

/// <summary><c>verdict aggregate</c>: an experiment's partial aggregates from its log, for <c>verdict analyze --aggregates</c>.</summary>
internal static class AggregateCommand
{
    public static Command Create()
    {
        var log = new LogOptions();
        var output = new Option<FileInfo>("--out") { Description = "The aggregates file to write (JSON Lines).", Required = true };
        var tables = new Option<DirectoryInfo?>("--tables")
        {
            Description = "A folder of result tables written by the Spark job (docs/spark.md) to turn into partial aggregates, instead of reading a log.",
        };
        var (engine, memoryLimit) = AnalyzeCommand.EngineOptions();
        var command = new Command("aggregate", "Write an experiment's partial aggregates (docs/aggregates.md): per phase and arm, the mergeable statistics every test needs.")
        {
            output, tables, engine, memoryLimit,
        };
        log.Events.Required = false;
        log.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var request = log.Request(parse);
            var folder = parse.GetValue(tables);
            if ((request.Events.Count == 0) == (folder is null))
            {
                throw new CliException("give the log (--events) or the Spark job's result tables (--tables), one of the two.");
            }
            var file = parse.GetValue(output)!;
            // Written beside the target and moved into place: a failed run leaves no half-written file.
            string temporary = file.FullName + ".partial";
            try
            {
                await using (var stream = File.Create(temporary))
                {
                    if (folder is not null)
                    {
                        ResultTables.WriteAggregatesFromFolder(folder.FullName, stream);
                    }
                    else if (parse.GetValue(engine) == "duckdb")
                    {
                        await Verdict.DuckDb.DuckDbEngine.WriteAggregatesAsync(request, new Verdict.DuckDb.DuckDbOptions { MemoryLimit = AnalyzeCommand.MemoryLimit(parse.GetValue(memoryLimit)) }, stream, ct).ConfigureAwait(false);
                    }
                    else
                    {
                        await PartialAggregates.WriteAsync(request, stream, ct).ConfigureAwait(false);
                    }
                }
                File.Move(temporary, file.FullName, overwrite: true);
            }
            finally
            {
                File.Delete(temporary);
            }
            return 0;
        });
        return command;
    }
}
