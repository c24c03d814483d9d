using System.CommandLine;
using System.Globalization;
using Verdict.Cli.Models;
using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Experiments;
using Verdict.Scoring;
using Verdict.Scoring.Hosting;

namespace Verdict.Cli.Analysis;

/// <summary><c>verdict analyze</c> (Contract 2).</summary>
internal static class AnalyzeCommand
{
    public static Command Create()
    {
        var events = new Option<string[]>("--events")
        {
            Description = "JSONL files, folders of them, Blob prefixes (blob://container/prefix), or the event log of the experiment (log://container, e.g. log://events).",
            AllowMultipleArgumentsPerToken = true,
        };
        var aggregates = new Option<string[]>("--aggregates")
        {
            Description = "Partial aggregates files (verdict aggregate, or the Spark job; docs/aggregates.md) to merge and analyse instead of a log.",
            AllowMultipleArgumentsPerToken = true,
        };
        var experiment = new Option<string?>("--experiment") { Description = "The experiment (required when the log holds several)." };
        var control = new Option<string?>("--control") { Description = "The control arm (default: champion, else control, else the first arm by name)." };
        var alpha = new Option<double>("--alpha") { Description = "Significance level.", DefaultValueFactory = _ => 0.05 };
        var weights = new Option<string?>("--weights") { Description = "Planned weights, ARM=W,... (default: equal)." };
        var asOf = new Option<string?>("--as-of") { Description = "Ignore events after this RFC 3339 instant." };
        var since = new Option<string?>("--since") { Description = "Ignore events before this RFC 3339 instant." };
        var format = new Option<string>("--format") { Description = "json, md, or html (a self-contained report with charts; give --out).", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "md", "html");
        var output = new Option<FileInfo?>("--out") { Description = "Write here instead of standard output." };
        var excludeFallbacks = new Option<bool>("--exclude-fallbacks") { Description = "Leave out exposures a fallback model scored (\"fallback\": true) instead of counting them for their arm." };
        var strict = new Option<bool>("--strict") { Description = "Fail on the first malformed line instead of skipping it." };
        var planned = new Option<long?>("--planned-units") { Description = "Planned total units; before they are reached, decisions use always-valid p-values." };
        var phase = new Option<string?>("--phase") { Description = "aa or ab (default: the latest phase in the log)." };
        phase.AcceptOnlyFromAmong("aa", "ab");
        var positive = new Option<string>("--positive-intents") { Description = "Reply intents counted as positive, comma-separated.", DefaultValueFactory = _ => "positive" };
        var guardrails = new Option<string?>("--guardrails") { Description = "Non-inferiority guardrails, METRIC=MARGIN,... (accuracy=0.01: accuracy may not drop by more than one point; handlingSeconds=0.05: at most 5% longer)." };
        var storage = new Option<string?>("--storage") { Description = CliStorage.Description + " For blob:// and log:// paths." };
        var (engine, memoryLimit) = EngineOptions();

        var command = new Command("analyze", "Analyse an experiment's event log: sample-ratio check, tests per metric, verdict.")
        {
            events, aggregates, experiment, control, alpha, weights, asOf, since, format, output, strict, planned, phase, positive, storage, excludeFallbacks, guardrails, engine, memoryLimit,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            double a = parse.GetValue(alpha);
            if (a is <= 0 or > 0.5)
            {
                throw new CliException("--alpha must be in (0, 0.5].");
            }
            long? plannedUnits = parse.GetValue(planned);
            if (plannedUnits is <= 0)
            {
                throw new CliException("--planned-units must be positive.");
            }
            var account = CliStorage.TryResolve(parse.GetValue(storage));
            var request = new AnalysisRequest
            {
                Events = parse.GetValue(events) ?? [],
                Experiment = parse.GetValue(experiment),
                Control = parse.GetValue(control),
                Alpha = a,
                Weights = ParseWeights(parse.GetValue(weights)),
                AsOf = ParseInstant("--as-of", parse.GetValue(asOf)),
                Since = ParseInstant("--since", parse.GetValue(since)),
                Strict = parse.GetValue(strict),
                ExcludeFallbacks = parse.GetValue(excludeFallbacks),
                PlannedUnits = plannedUnits,
                Phase = parse.GetValue(phase) switch { "aa" => EventPhase.AA, "ab" => EventPhase.AB, _ => null },
                PositiveIntents = [.. (parse.GetValue(positive) ?? "positive").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                BlobService = account?.Blobs,
                Guardrails = ParseGuardrails(parse.GetValue(guardrails)),
            };
            if (request.Since > request.AsOf)
            {
                throw new CliException("--since is after --as-of.");
            }
            string[] partials = parse.GetValue(aggregates) ?? [];
            if ((request.Events.Count == 0) == (partials.Length == 0))
            {
                throw new CliException("give the log (--events) or partial aggregates (--aggregates), one of the two.");
            }
            var result = partials.Length > 0
                ? await PartialAggregates.AnalyzeAsync(partials, request, cancellationToken).ConfigureAwait(false)
                : parse.GetValue(engine) == "duckdb"
                    ? await Verdict.DuckDb.DuckDbEngine.AnalyzeAsync(request, new Verdict.DuckDb.DuckDbOptions { MemoryLimit = MemoryLimit(parse.GetValue(memoryLimit)) }, cancellationToken).ConfigureAwait(false)
                    : await ExperimentAnalysis.RunAsync(request, cancellationToken).ConfigureAwait(false);
            var kind = result.Kind == "template" ? ExperimentKind.Template : ExperimentKind.Model;
            if (request.Guardrails.Select(g => g.Problem(kind)).FirstOrDefault(p => p is not null) is { } problem)
            {
                throw new CliException("--" + problem);
            }
            string text = parse.GetValue(format) switch
            {
                "md" => AnalysisFormats.ToMarkdown(result),
                "html" => Verdict.Reports.HtmlReport.Render(result, models: await OfflineMetricsAsync(account, result, cancellationToken).ConfigureAwait(false)),
                _ => AnalysisFormats.ToJson(result) + "\n",
            };
            await Output.WriteAsync(parse.GetValue(output), text, cancellationToken).ConfigureAwait(false);
            // Said where a person running the command sees it, whatever the format and wherever the output goes.
            foreach (var warning in result.Warnings)
            {
                await Console.Error.WriteLineAsync($"warning ({warning.Code}): {warning.Message}".AsMemory(), cancellationToken).ConfigureAwait(false);
            }
            return 0;
        });
        return command;
    }

    /// <summary>The options that choose the engine that reads the log: <c>--engine builtin|duckdb</c> and DuckDB's <c>--memory-limit</c>.</summary>
    internal static (Option<string> Engine, Option<string> MemoryLimit) EngineOptions()
    {
        var engine = new Option<string>("--engine")
        {
            Description = "builtin (in memory, the fastest up to about 100M events on 24 GB) or duckdb (SQL in an embedded DuckDB that spills to disk under --memory-limit; local files only).",
            DefaultValueFactory = _ => "builtin",
        };
        engine.AcceptOnlyFromAmong("builtin", "duckdb");
        var memoryLimit = new Option<string>("--memory-limit") { Description = "With --engine duckdb: its memory limit, e.g. 4GB.", DefaultValueFactory = _ => "4GB" };
        return (engine, memoryLimit);
    }

    /// <summary>A DuckDB memory limit: a number and a unit (<c>512MB</c>, <c>4GB</c>).</summary>
    internal static string MemoryLimit(string? text) =>
        text is not null && System.Text.RegularExpressions.Regex.IsMatch(text, "^[0-9]+(\\.[0-9]+)?\\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")
            ? text
            : throw new CliException($"--memory-limit '{text}' is not a size such as 512MB or 4GB.");

    /// <summary>The served models' offline metrics from the Blob registry when storage is configured; none otherwise.</summary>
    private static async Task<IReadOnlyDictionary<string, Verdict.Reports.OfflineMetrics>?> OfflineMetricsAsync(StorageAccount? account, AnalysisResult result, CancellationToken ct)
    {
        if (account is null)
        {
            return null;
        }
        using var runtime = ScoringRuntime.Create(new ScoringOptions(), account);
        return await Verdict.Reports.OfflineMetricsReader.ReadAsync(runtime.Registry, result, ct).ConfigureAwait(false);
    }

    /// <summary>Parses <c>METRIC=MARGIN,...</c>; each metric must be known and each margin in (0, 1). Whether the metrics fit the experiment's kind is known once the log is read.</summary>
    internal static List<Guardrail> ParseGuardrails(string? text)
    {
        var values = ParseArmValues("--guardrails", text, "METRIC=MARGIN") ?? [];
        var list = values.Select(kv => new Guardrail(kv.Key, kv.Value)).ToList();
        foreach (var g in list)
        {
            if (Metrics.Find(g.Metric) is not { } metric)
            {
                throw new CliException($"--guardrails: '{g.Metric}' is not a metric ({string.Join(", ", Metrics.All.Select(m => m.Name))}).");
            }
            if (!(g.Margin > 0 && g.Margin < 1))
            {
                throw new CliException($"--guardrails: the margin of {g.Metric} must be in (0, 1), in {metric.MarginUnit}.");
            }
        }
        return list;
    }

    internal static Dictionary<string, double>? ParseWeights(string? text)
    {
        var weights = ParseArmValues("--weights", text, "ARM=WEIGHT");
        if (weights is null)
        {
            return null;
        }
        foreach (var (arm, weight) in weights.Where(w => w.Value < 0))
        {
            throw new CliException($"--weights: '{arm}={weight.ToString(CultureInfo.InvariantCulture)}' is not ARM=WEIGHT with a weight ≥ 0.");
        }
        return weights.Values.Sum() > 0 ? weights : throw new CliException("--weights: the weights sum to zero.");
    }

    /// <summary>Parses <c>ARM=NUMBER,...</c> into finite numbers by arm; null when the text is empty.</summary>
    internal static Dictionary<string, double>? ParseArmValues(string option, string? text, string shape = "ARM=NUMBER")
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !double.TryParse(part[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            {
                throw new CliException($"{option}: '{part}' is not {shape}.");
            }
            if (!values.TryAdd(part[..eq], v))
            {
                throw new CliException($"{option}: arm '{part[..eq]}' is given twice.");
            }
        }
        return values;
    }

    internal static DateTimeOffset? ParseInstant(string option, string? text) =>
        text is null ? null
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value) ? value.ToUniversalTime()
        : throw new CliException($"{option}: '{text}' is not an RFC 3339 timestamp.");
}
