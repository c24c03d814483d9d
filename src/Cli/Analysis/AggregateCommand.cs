using System.CommandLine;
using Verdict.Experimentation.Analysis;

namespace Verdict.Cli.Analysis;

/// <summary><c>verdict aggregate</c>: an experiment's partial aggregates from its log, for <c>verdict analyze --aggregates</c>.</summary>
internal static class AggregateCommand
{
    public static Command Create()
    {
        var events = new Option<string[]>("--events")
        {
            Description = "JSONL files, folders of them, Blob prefixes (blob://container/prefix), or the event log of the experiment (log://container).",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var experiment = new Option<string?>("--experiment") { Description = "The experiment (required when the log holds several)." };
        var asOf = new Option<string?>("--as-of") { Description = "Ignore events after this RFC 3339 instant." };
        var since = new Option<string?>("--since") { Description = "Ignore events before this RFC 3339 instant." };
        var positive = new Option<string>("--positive-intents") { Description = "Reply intents counted as positive, comma-separated.", DefaultValueFactory = _ => "positive" };
        var excludeFallbacks = new Option<bool>("--exclude-fallbacks") { Description = "Leave out exposures a fallback model scored." };
        var output = new Option<FileInfo>("--out") { Description = "The aggregates file to write (JSON Lines).", Required = true };
        var storage = new Option<string?>("--storage") { Description = CliStorage.Description + " For blob:// and log:// paths." };
        var (engine, memoryLimit) = AnalyzeCommand.EngineOptions();
        var command = new Command("aggregate", "Write an experiment's partial aggregates (docs/aggregates.md): per phase and arm, the mergeable statistics every test needs.")
        {
            events, experiment, asOf, since, positive, excludeFallbacks, output, storage, engine, memoryLimit,
        };
        command.SetAction(async (parse, ct) =>
        {
            var account = CliStorage.TryResolve(parse.GetValue(storage));
            var request = new AnalysisRequest
            {
                Events = parse.GetValue(events) ?? [],
                Experiment = parse.GetValue(experiment),
                AsOf = AnalyzeCommand.ParseInstant("--as-of", parse.GetValue(asOf)),
                Since = AnalyzeCommand.ParseInstant("--since", parse.GetValue(since)),
                ExcludeFallbacks = parse.GetValue(excludeFallbacks),
                PositiveIntents = [.. (parse.GetValue(positive) ?? "positive").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                BlobService = account?.Blobs,
            };
            var file = parse.GetValue(output)!;
            // Written beside the target and moved into place: a failed run leaves no half-written file.
            string temporary = file.FullName + ".partial";
            try
            {
                await using (var stream = File.Create(temporary))
                {
                    if (parse.GetValue(engine) == "duckdb")
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
