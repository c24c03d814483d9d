using System.CommandLine;
using System.Text.Json;
using Azure.Storage.Blobs;
using Verdict.Cli.Models;
using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Experiments;
using Verdict.Scoring;
using Verdict.Scoring.Hosting;

namespace Verdict.Cli.Experiments;

/// <summary>
/// <c>verdict experiments create | show | list | assign | start-aa | start-ab | decide | promote | rollback | autopilot</c>:
/// the experiment lifecycle over the definitions stored in Blob (<c>experiments</c> container).
/// </summary>
internal static class ExperimentsCommand
{
    internal static readonly Option<string?> Storage = new("--storage")
    {
        Description = CliStorage.Description,
    };

    public static Command Create()
    {
        var command = new Command("experiments", "Create experiments and move them through A/A, A/B, decision, promotion or rollback.");

        var file = new Option<FileInfo>("--file") { Description = "The definition as JSON (see docs/experiments.md).", Required = true };
        var registry = new Option<DirectoryInfo?>("--registry")
        {
            Description = "A local model registry folder to check the arms' models in (default: the 'models' container of the storage account).",
        };
        var create = new Command("create", "Validate a definition, check its models are published, plan its sample size and store it as a draft.") { file, registry, Storage };
        create.SetAction(async (parse, ct) =>
        {
            var definition = ReadDefinition(parse.GetValue(file)!);
            var folder = parse.GetValue(registry);
            using var runtime = folder is not null
                ? ScoringRuntime.Create(new ScoringOptions { LocalPath = folder.FullName })
                : ScoringRuntime.Create(new ScoringOptions(), Account(parse));
            // One listing of the registry answers every arm.
            var published = (await runtime.Registry.ListAsync(ct).ConfigureAwait(false)).Select(v => v.Reference.ToString()).ToHashSet(StringComparer.Ordinal);
            var store = StoreOf(parse);
            var lifecycle = new ExperimentLifecycle(store, (reference, _) => Task.FromResult(published.Contains(reference)));
            Console.WriteLine(ExperimentStore.ToJson((await lifecycle.CreateAsync(definition, ct).ConfigureAwait(false)).Definition));
            return 0;
        });
        command.Subcommands.Add(create);

        var show = new Command("show", "Print an experiment's definition.") { Id(), Storage };
        show.SetAction((parse, ct) => RunAsync(parse, async (_, store) =>
            (await store.GetAsync(parse.GetValue<string>("id")!, ct).ConfigureAwait(false))?.Definition
                ?? throw new CliException($"there is no experiment '{parse.GetValue<string>("id")}'"), ct));
        command.Subcommands.Add(show);

        var list = new Command("list", "List experiments: id, kind, phase, arms.") { Storage };
        list.SetAction(async (parse, ct) =>
        {
            var store = StoreOf(parse);
            foreach (var stored in await store.ListAsync(ct).ConfigureAwait(false))
            {
                var d = stored.Definition;
                Console.WriteLine($"{d.Id}\t{d.Kind.ToString().ToLowerInvariant()}\t{ExperimentValidation.PhaseName(d.Phase)}\t{string.Join(", ", d.Arms.Select(a => $"{a.Name}={a.Serves}"))}");
            }
            return 0;
        });
        command.Subcommands.Add(list);

        var unitCount = new Option<int>("--units") { Description = "Assign units contact-0000000 … up to this count.", DefaultValueFactory = _ => 10 };
        var unitList = new Option<string[]>("--unit") { Description = "Assign these units instead.", AllowMultipleArgumentsPerToken = true };
        var assign = new Command("assign", "Print the arm each unit gets (unit, arm, what it serves, reason), as the scoring service would assign it.") { Id(), unitCount, unitList, Storage };
        assign.SetAction(async (parse, ct) =>
        {
            string id = parse.GetValue<string>("id")!;
            var assigner = new ArmAssigner(StoreOf(parse));
            var named = parse.GetValue(unitList) ?? [];
            int count = parse.GetValue(unitCount);
            if (named.Length == 0 && count is < 1 or > 10_000_000)
            {
                throw new CliException("--units must be between 1 and 10,000,000.");
            }
            var units = named.Length > 0 ? named : Enumerable.Range(0, count).Select(i => $"contact-{i:D7}");
            // Streamed: ten million lines need not be held in memory.
            var output = new StreamWriter(Console.OpenStandardOutput(), bufferSize: 1 << 16) { NewLine = "\n" };
            await using (output.ConfigureAwait(false))
            {
                foreach (string unit in units)
                {
                    var a = await assigner.AssignAsync(id, unit, ct).ConfigureAwait(false) ?? throw new CliException($"there is no experiment '{id}'");
                    await output.WriteLineAsync($"{unit}\t{a.Arm}\t{a.Serves}\t{ReasonName(a.Reason)}").ConfigureAwait(false);
                }
            }
            return 0;
        });
        command.Subcommands.Add(assign);

        var startAa = new Command("start-aa", "draft → aa: split units by weight; every arm serves the control.") { Id(), Storage };
        startAa.SetAction((parse, ct) => RunAsync(parse, async lifecycle =>
            (await lifecycle.StartAaAsync(parse.GetValue<string>("id")!, ct).ConfigureAwait(false)).Definition, ct));
        command.Subcommands.Add(startAa);

        var events = new Option<string?>("--events") { Description = "The event log to check the A/A phase on (file, folder or blob://container/prefix)." };
        var force = new Option<string?>("--force") { Description = "Start the A/B test although the A/A check did not pass; the reason is recorded." };
        var startAb = new Command("start-ab", "aa → ab, once the A/A check on the event log has passed.") { Id(), events, force, Storage };
        startAb.SetAction((parse, ct) => RunAsync(parse, async (lifecycle, store) =>
        {
            string id = parse.GetValue<string>("id")!;
            AnalysisResult? aa = null;
            if (parse.GetValue(events) is { } path)
            {
                var stored = await store.GetAsync(id, ct).ConfigureAwait(false) ?? throw new CliException($"there is no experiment '{id}'");
                aa = await ExperimentAnalysis.RunAsync(AnalysisRequest.For(stored.Definition, [path]) with
                {
                    Phase = Experimentation.Events.EventPhase.AA,
                    BlobService = Account(parse).Blobs,
                }, ct).ConfigureAwait(false);
            }
            return (await lifecycle.StartAbAsync(id, aa, parse.GetValue(force), ct).ConfigureAwait(false)).Definition;
        }, ct));
        command.Subcommands.Add(startAb);

        var winner = new Option<string?>("--winner") { Description = "The winning arm; leave out when there is none (the control keeps serving)." };
        var reason = new Option<string?>("--reason") { Description = "Why, recorded in the history." };
        var decide = new Command("decide", "ab → decided: record the winner (or none).") { Id(), winner, reason, Storage };
        decide.SetAction((parse, ct) => RunAsync(parse, async lifecycle =>
            (await lifecycle.DecideAsync(parse.GetValue<string>("id")!, parse.GetValue(winner), parse.GetValue(reason), ct).ConfigureAwait(false)).Definition, ct));
        command.Subcommands.Add(decide);

        var promote = new Command("promote", "decided → promoted: the winner becomes the champion of the experiment's slot.") { Id(), Storage };
        promote.SetAction((parse, ct) => RunAsync(parse, async lifecycle =>
            (await lifecycle.PromoteAsync(parse.GetValue<string>("id")!, ct).ConfigureAwait(false)).Definition, ct));
        command.Subcommands.Add(promote);

        var eventContainer = new Option<string>("--event-container") { Description = "The event log's container.", DefaultValueFactory = _ => "events" };
        var autopilot = new Command("autopilot", "One pass of the autopilot: advance every experiment that declares automation, by its rules (docs/experiments.md).") { eventContainer, Storage };
        autopilot.SetAction(async (parse, ct) =>
        {
            var account = Account(parse);
            var pilot = new ExperimentAutopilot(new ExperimentStore(account.Container(ExperimentStore.DefaultContainer)), "log://" + parse.GetValue(eventContainer), account.Blobs);
            var steps = await pilot.RunOnceAsync(ct).ConfigureAwait(false);
            Console.WriteLine(JsonSerializer.Serialize(steps, AutopilotJson));
            return 0;
        });
        command.Subcommands.Add(autopilot);

        var rollbackReason = new Option<string?>("--reason") { Description = "Why, recorded in the history." };
        var rollback = new Command("rollback", "promoted → rolled-back: the slot's previous champion serves again.") { Id(), rollbackReason, Storage };
        rollback.SetAction((parse, ct) => RunAsync(parse, async lifecycle =>
            (await lifecycle.RollbackAsync(parse.GetValue<string>("id")!, parse.GetValue(rollbackReason), ct).ConfigureAwait(false)).Definition, ct));
        command.Subcommands.Add(rollback);
        return command;
    }

    private static string ReasonName(AssignmentReason reason) => reason switch
    {
        AssignmentReason.Allocated => "allocated",
        AssignmentReason.AllocatedAA => "allocated-aa",
        AssignmentReason.NotStarted => "not-started",
        AssignmentReason.Decided => "decided",
        _ => "rolled-back",
    };

    private static readonly JsonSerializerOptions AutopilotJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private static Argument<string> Id() => new("id") { Description = "The experiment id." };

    internal static StorageAccount Account(ParseResult parse) => CliStorage.Resolve(parse.GetValue(Storage), "experiments are stored");

    private static ExperimentStore StoreOf(ParseResult parse) =>
        new(Account(parse).Container(ExperimentStore.DefaultContainer));

    private static Task<int> RunAsync(ParseResult parse, Func<ExperimentLifecycle, Task<ExperimentDefinition>> action, CancellationToken ct) =>
        RunAsync(parse, (lifecycle, _) => action(lifecycle), ct);

    private static async Task<int> RunAsync(ParseResult parse, Func<ExperimentLifecycle, ExperimentStore, Task<ExperimentDefinition>> action, CancellationToken ct)
    {
        var store = StoreOf(parse);
        var definition = await action(new ExperimentLifecycle(store), store).ConfigureAwait(false);
        Console.WriteLine(ExperimentStore.ToJson(definition));
        return 0;
    }

    private static ExperimentDefinition ReadDefinition(FileInfo file)
    {
        if (!file.Exists)
        {
            throw new CliException($"{file.FullName}: no such file");
        }
        try
        {
            using var stream = file.OpenRead();
            return ExperimentStore.FromJson(stream)
                ?? throw new CliException($"{file.FullName}: the file holds null");
        }
        catch (JsonException ex)
        {
            string where = ex.LineNumber is long line ? $":{line + 1}" : "";
            throw new CliException($"{file.FullName}{where}: not a valid definition ({ex.Message.Split(" Path:")[0].TrimEnd('.')})");
        }
    }
}
