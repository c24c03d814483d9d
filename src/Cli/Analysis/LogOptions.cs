using System.CommandLine;
using Verdict.Experimentation.Analysis;

namespace Verdict.Cli.Analysis;

/// <summary>The options that say which log to read and how, shared by the commands that read one (aa-replay, aggregate).</summary>
internal sealed class LogOptions
{
    public Option<string[]> Events { get; } = new("--events")
    {
        Description = "JSONL files, folders of them, Blob prefixes (blob://container/prefix), or the event log of the experiment (log://container).",
        Required = true,
        AllowMultipleArgumentsPerToken = true,
    };

    public Option<string?> Experiment { get; } = new("--experiment") { Description = "The experiment (required when the log holds several)." };

    public Option<string?> AsOf { get; } = new("--as-of") { Description = "Ignore events after this RFC 3339 instant." };

    public Option<string?> Since { get; } = new("--since") { Description = "Ignore events before this RFC 3339 instant." };

    public Option<string> Positive { get; } = new("--positive-intents") { Description = "Reply intents counted as positive, comma-separated.", DefaultValueFactory = _ => "positive" };

    public Option<bool> ExcludeFallbacks { get; } = new("--exclude-fallbacks") { Description = "Leave out exposures a fallback model scored." };

    public Option<string?> Storage { get; } = new("--storage") { Description = CliStorage.Description + " For blob:// and log:// paths." };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Events, Experiment, AsOf, Since, Positive, ExcludeFallbacks, Storage })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The request the options describe; the caller adds what its command decides (alpha, phase).</summary>
    public AnalysisRequest Request(ParseResult parse)
    {
        var request = new AnalysisRequest
        {
            Events = parse.GetValue(Events) ?? [],
            Experiment = parse.GetValue(Experiment),
            AsOf = AnalyzeCommand.ParseInstant("--as-of", parse.GetValue(AsOf)),
            Since = AnalyzeCommand.ParseInstant("--since", parse.GetValue(Since)),
            ExcludeFallbacks = parse.GetValue(ExcludeFallbacks),
            PositiveIntents = [.. (parse.GetValue(Positive) ?? "positive").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
            BlobService = CliStorage.TryResolve(parse.GetValue(Storage))?.Blobs,
        };
        return request.Since > request.AsOf ? throw new CliException("--since is after --as-of.") : request;
    }
}
