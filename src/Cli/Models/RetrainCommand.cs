using System.CommandLine;
using System.Globalization;
using System.Text;
using Verdict.Cli.Experiments;
using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Experiments;
using Verdict.Scoring;
using Verdict.Scoring.Hosting;
using Verdict.Training;

namespace Verdict.Cli.Models;

/// <summary>
/// <c>verdict models retrain --slot S</c>: learn from what the CRM told us. The slot's kept email texts joined with the
/// true intents of their outcomes (plus the original training data, when given) train a challenger of the champion's
/// architecture, which is published and put in a new experiment against the champion, competing for the slot.
/// </summary>
internal static class RetrainCommand
{
    public static Command Create()
    {
        var slot = new Option<string>("--slot") { Description = "The champion slot to retrain for.", Required = true };
        var data = new Option<FileInfo?>("--data") { Description = "The original training data (CSV with text and label columns), added to what production taught." };
        var architecture = new Option<string?>("--architecture") { Description = "linear, mlp, encoder or hybrid (default: the champion's)." };
        architecture.AcceptOnlyFromAmong("linear", "mlp", "encoder", "hybrid");
        var bodies = new Option<string>("--bodies-container") { Description = "Where the kept email texts are.", DefaultValueFactory = _ => "bodies" };
        var events = new Option<string>("--event-container") { Description = "The event log, for the outcomes' true intents.", DefaultValueFactory = _ => "events" };
        var minimum = new Option<int>("--min-examples") { Description = "Refuse to train on fewer labelled emails from production.", DefaultValueFactory = _ => 50 };
        var start = new Option<bool>("--start") { Description = "Start the new experiment's A/A phase at once (default: leave it a draft)." };
        var work = new Option<DirectoryInfo?>("--work") { Description = "Folder for the training data and the package (default: a temporary one)." };
        var command = new Command("retrain", "Train a challenger for a slot from kept emails and their outcomes, publish it, and create the experiment that tests it.")
        {
            slot, data, architecture, bodies, events, minimum, start, work, ExperimentsCommand.Storage,
        };
        command.SetAction(async (parse, ct) =>
        {
            string slotName = parse.GetValue(slot)!;
            var account = ExperimentsCommand.Account(parse);
            var store = new ExperimentStore(account.Container(ExperimentStore.DefaultContainer));
            string championRef = (await store.GetSlotAsync(slotName, ct).ConfigureAwait(false))?.Slot.Champion
                ?? throw new CliException($"--slot: slot '{slotName}' has no champion yet: promote a model into it first.");
            using var runtime = ScoringRuntime.Create(new ScoringOptions(), account);
            if (!ModelReference.TryParse(championRef, out var champion))
            {
                throw new CliException($"--slot: the champion of '{slotName}' is '{championRef}', not a model reference.");
            }
            var manifest = (await runtime.Registry.GetAsync(champion, ct).ConfigureAwait(false)).Manifest;

            // The slot's own kept texts, and those of the experiments that competed for it.
            var experiments = (await store.ListAsync(ct).ConfigureAwait(false)).Select(e => e.Definition).Where(d => d.SlotName == slotName).ToList();
            string container = parse.GetValue(bodies)!;
            var paths = new List<string> { $"blob://{container}/_slot-{slotName}/" };
            paths.AddRange(experiments.Where(d => d.KeepBodies).Select(d => $"blob://{container}/{d.Id}/"));
            var existing = await ExistingAsync(account, container, paths, ct).ConfigureAwait(false);
            var examples = existing.Count == 0 ? [] : await KeptExamples.ReadAsync(existing, [$"blob://{parse.GetValue(events)}/"], account.Blobs, ct).ConfigureAwait(false);
            if (examples.Count < parse.GetValue(minimum))
            {
                throw new CliException($"--slot: {examples.Count} kept emails of '{slotName}' have a true intent; at least {parse.GetValue(minimum)} are needed (--min-examples). Keep bodies for the slot (Verdict:KeepBodiesForSlots) or its experiments (keepBodies).");
            }

            // A retrain records the version it is making before it publishes, and forgets it once the experiment exists:
            // a run that failed after publishing is finished by the next one, which creates the experiment for that
            // version instead of publishing another.
            var intent = account.Container(ExperimentStore.DefaultContainer).GetBlobClient($"retrain/{slotName}.json");
            string? pending = await PendingVersionAsync(intent, ct).ConfigureAwait(false);
            string version = pending ?? await NextVersionAsync(runtime, manifest.Name, ct).ConfigureAwait(false);
            var arch = parse.GetValue(architecture) ?? manifest.Training?.Architecture ?? "linear";
            ModelReference challenger = ModelReference.Parse($"{manifest.Name}@{version}");
            string trained;
            if (pending is not null && await Exists(runtime, challenger.ToString(), ct).ConfigureAwait(false))
            {
                trained = $"{challenger}: published by an earlier retrain of '{slotName}' that did not finish; creating its experiment.";
            }
            else
            {
                await intent.UploadAsync(BinaryData.FromString($$"""{"slot":"{{slotName}}","version":"{{version}}","champion":"{{championRef}}"}"""), overwrite: true, ct).ConfigureAwait(false);
                string folder = parse.GetValue(work)?.FullName ?? Path.Combine(Path.GetTempPath(), "verdict-retrain-" + Guid.NewGuid().ToString("N"));
                Directory.CreateDirectory(folder);
                string csv = Path.Combine(folder, "training.csv");
                int original = WriteTrainingCsv(csv, examples, parse.GetValue(data));
                string package = Path.Combine(folder, "package", manifest.Name, version);
                var result = IntentTrainer.Train(new TrainingOptions
                {
                    DataPath = csv,
                    TextColumn = "text",
                    LabelColumn = "label",
                    Architecture = Enum.Parse<ModelArchitecture>(arch, ignoreCase: true),
                    Encoder = manifest.Training?.Encoder ?? "minilm",
                    Buckets = manifest.Featurizer.Buckets ?? (1 << 18),
                    OutputDirectory = package,
                    Name = manifest.Name,
                    Version = version,
                    Target = manifest.Target,
                }, line => Console.Error.WriteLine(line));
                await runtime.Registry.PublishAsync(package, ct).ConfigureAwait(false);
                var m = result.Manifest.Metrics!;
                trained = string.Create(CultureInfo.InvariantCulture,
                    $"{challenger}: trained on {examples.Count} kept emails{(original > 0 ? $" and {original} original examples" : "")} ({arch}); accuracy {m.Accuracy:F4} on {m.Examples} held-out examples.");
            }

            string id = ExperimentId(slotName, version);
            var lifecycle = new ExperimentLifecycle(store, (reference, token) => Exists(runtime, reference, token));
            var created = await store.GetAsync(id, ct).ConfigureAwait(false) ?? await lifecycle.CreateAsync(new ExperimentDefinition
            {
                Id = id,
                Slot = slotName,
                Seed = id,
                Baseline = Math.Clamp(manifest.Metrics?.Accuracy ?? 0.8, 0.05, 0.95),
                MinimumDetectableEffect = 0.03,
                Arms = [new ArmDefinition("champion", 0.5, championRef), new ArmDefinition("challenger", 0.5, challenger.ToString())],
                Guardrails = [new Guardrail("accuracy", 0.01)],
                Automation = new ExperimentAutomation { StartAb = true, StopOnGuardrailBreach = true },
                KeepBodies = true,
            }, ct).ConfigureAwait(false);
            if (parse.GetValue(start) && created.Definition.Phase == ExperimentPhase.Draft)
            {
                created = await lifecycle.StartAaAsync(id, ct).ConfigureAwait(false);
            }
            await intent.DeleteIfExistsAsync(cancellationToken: ct).ConfigureAwait(false);
            Console.WriteLine(trained);
            Console.WriteLine($"experiment {id}: {championRef} against {challenger} for slot '{slotName}', {ExperimentValidation.PhaseName(created.Definition.Phase)}.");
            return 0;
        });
        return command;
    }

    /// <summary>The version an earlier, unfinished retrain of the slot was making, if any.</summary>
    private static async Task<string?> PendingVersionAsync(Azure.Storage.Blobs.BlobClient intent, CancellationToken ct)
    {
        try
        {
            var content = (await intent.DownloadContentAsync(ct).ConfigureAwait(false)).Value.Content;
            using var doc = System.Text.Json.JsonDocument.Parse(content.ToMemory());
            return doc.RootElement.GetProperty("version").GetString();
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>The paths that hold at least one blob (a slot or experiment that kept nothing is skipped, not an error).</summary>
    private static async Task<List<string>> ExistingAsync(Scoring.Hosting.StorageAccount account, string container, List<string> paths, CancellationToken ct)
    {
        var client = account.Container(container);
        var found = new List<string>();
        if (!await client.ExistsAsync(ct).ConfigureAwait(false))
        {
            return found;
        }
        foreach (string path in paths)
        {
            string prefix = path[$"blob://{container}/".Length..];
            await foreach (var _ in client.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = prefix }, ct).ConfigureAwait(false))
            {
                found.Add(path);
                break;
            }
        }
        return found;
    }

    /// <summary>Writes the production examples, then the original data's rows; returns how many original rows there were.</summary>
    private static int WriteTrainingCsv(string path, IReadOnlyList<LabelledEmail> examples, FileInfo? original)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
        writer.WriteLine("text,label");
        foreach (var e in examples)
        {
            writer.WriteLine($"{Quote(e.Text)},{Quote(e.Intent)}");
        }
        if (original is null)
        {
            return 0;
        }
        if (!original.Exists)
        {
            throw new CliException($"--data: {original.FullName}: no such file");
        }
        int rows = 0;
        using var reader = new StreamReader(original.FullName);
        string? header = reader.ReadLine();
        if (header?.Trim() != "text,label")
        {
            throw new CliException($"--data: {original.FullName}:1: the header must be 'text,label'");
        }
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                writer.WriteLine(line);
                rows++;
            }
        }
        return rows;
    }

    private static string Quote(string value) => "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>One more than the highest numeric version of the model, or a UTC timestamp when its versions are not numbers.</summary>
    private static async Task<string> NextVersionAsync(ScoringRuntime runtime, string name, CancellationToken ct)
    {
        var versions = (await runtime.Registry.ListAsync(ct).ConfigureAwait(false)).Where(v => v.Manifest.Name == name).Select(v => v.Manifest.Version).ToList();
        return versions.All(v => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            ? ((versions.Count == 0 ? 0 : versions.Max(v => int.Parse(v, CultureInfo.InvariantCulture))) + 1).ToString(CultureInfo.InvariantCulture)
            : DateTimeOffset.UtcNow.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);
    }

    private static string ExperimentId(string slot, string version)
    {
        var id = new StringBuilder();
        foreach (char c in $"{slot}-retrain-{version}".ToLowerInvariant())
        {
            id.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
        }
        return id.ToString().Trim('-') is { Length: > 63 } longId ? longId[..63].TrimEnd('-') : id.ToString().Trim('-');
    }

    private static async Task<bool> Exists(ScoringRuntime runtime, string reference, CancellationToken ct)
    {
        if (!ModelReference.TryParse(reference, out var parsed))
        {
            return false;
        }
        try
        {
            await runtime.Registry.GetAsync(parsed, ct).ConfigureAwait(false);
            return true;
        }
        catch (ScoringException ex) when (ex.Error == ScoringError.ModelNotFound)
        {
            return false;
        }
    }
}
