using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Verdict.Cli.Analysis;
using Verdict.Experimentation.Analysis;
using Verdict.Scoring;

namespace Verdict.Cli.Models;

/// <summary><c>verdict models drift MODEL</c>: a model's online accuracy, intent mix and confidence, day by day.</summary>
internal static class DriftCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "The model, name@version." };
        var events = new Option<string[]>("--events")
        {
            Description = "JSONL files, folders of them, or Blob prefixes (blob://events/ for the whole log).",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var format = new Option<string>("--format") { Description = "md, json, or html (a page with the chart; give --out).", DefaultValueFactory = _ => "md" };
        format.AcceptOnlyFromAmong("md", "json", "html");
        var output = new Option<FileInfo?>("--out") { Description = "Write here instead of standard output." };
        var command = new Command("drift", "A model's online accuracy (from outcomes), predicted-intent mix against its held-out predictions (PSI) and confidence, per day.")
        {
            model, events, format, output,
        };
        var registry = RegistryOptions.Add(command);
        command.SetAction(async (parse, ct) =>
        {
            string name = parse.GetValue(model)!;
            if (!ModelReference.TryParse(name, out var reference) || reference.Version is null)
            {
                throw new CliException($"'{name}' is not name@version.");
            }
            // The reference mix: what the model predicted on its held-out split, from its manifest, when a registry is given.
            IReadOnlyDictionary<string, long>? held = null;
            if (parse.GetResult(registry.Folder) is not null || parse.GetResult(registry.Connection) is not null || Environment.GetEnvironmentVariable(CliStorage.Variable) is { Length: > 0 })
            {
                using var runtime = registry.CreateRuntime(parse);
                try
                {
                    var manifest = (await runtime.Registry.GetAsync(reference, ct).ConfigureAwait(false)).Manifest;
                    if (manifest.Metrics?.ConfusionMatrix is { Count: > 0 } matrix)
                    {
                        held = manifest.Labels.Select((label, column) => (label, count: (long)matrix.Sum(row => row[column]))).ToDictionary(x => x.label, x => x.count, StringComparer.Ordinal);
                    }
                }
                catch (ScoringException ex) when (ex.Error == ScoringError.ModelNotFound)
                {
                    await Console.Error.WriteLineAsync($"note: {name} is not in the registry, so each day is compared with its first day of traffic.".AsMemory(), ct).ConfigureAwait(false);
                }
            }
            var account = CliStorage.TryResolve(parse.GetValue(registry.Connection));
            var report = await ModelDrift.RunAsync(new DriftRequest { Model = name, Events = parse.GetValue(events) ?? [], Reference = held, BlobService = account?.Blobs }, ct).ConfigureAwait(false);
            string text = parse.GetValue(format) switch
            {
                "json" => JsonSerializer.Serialize(report, Json) + "\n",
                "html" => Verdict.Reports.DriftPage.Html(report),
                _ => Markdown(report),
            };
            await Output.WriteAsync(parse.GetValue(output), text, ct).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static string Markdown(DriftReport r)
    {
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.Append(c, $"## {r.Model}: drift\n\nReference mix: {(r.Reference == "manifest" ? "its predictions on the held-out split (manifest)" : "its first day of traffic")}.\n\n");
        md.Append("| day | predictions | labelled | accuracy | 95% CI | mean confidence | PSI | shift |\n|---|---:|---:|---:|---|---:|---:|---|\n");
        foreach (var d in r.Days)
        {
            md.Append(c, $"| {d.Date:yyyy-MM-dd} | {d.Predictions:N0} | {d.Labelled:N0} | {P(d.Accuracy.Value)} | {P(d.Accuracy.CiLow)} – {P(d.Accuracy.CiHigh)} | {F(d.MeanConfidence)} | {F(d.Psi)} | {d.Shift} |\n");
        }
        if (r.AccuracyChange is { } change)
        {
            md.Append(c, $"\nAccuracy, last day against the first: {(change.Diff * 100)?.ToString("+0.0;−0.0", c)} pts (95% CI {(change.CiLow * 100)?.ToString("+0.0;−0.0", c)} to {(change.CiHigh * 100)?.ToString("+0.0;−0.0", c)}), p {(change.PValue < 0.001 ? "< 0.001" : "= " + change.PValue?.ToString("0.000", c))}.\n");
        }
        return md.ToString();
    }

    private static string P(double? v) => v is double d ? (d * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "—";

    private static string F(double? v) => v is double d ? d.ToString("0.000", CultureInfo.InvariantCulture) : "—";
}
