using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Verdict.Cli.Analysis;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Experiments;
using Verdict.Experimentation.Simulation;
using Verdict.Training.Data;
using Verdict.Training.Demo;

namespace Verdict.Cli.Experiments;

/// <summary>
/// <c>verdict simulate</c>: realistic traffic for an experiment, assigned by the real assigner and written
/// through the real event log, either directly or through a storage queue (a producer that enqueues every
/// email and a consumer that acknowledges a message only once its events are durable).
/// </summary>
internal static partial class SimulateCommand
{
    private static readonly JsonSerializerOptions MessageJson = new(JsonSerializerDefaults.Web);

    public static Command Create()
    {
        var experiment = new Option<string>("--experiment") { Description = "The experiment (in its A/A or A/B phase).", Required = true };
        var units = new Option<int>("--units") { Description = "Units (contacts) that send email.", DefaultValueFactory = _ => 10_000 };
        var perUnit = new Option<int>("--emails-per-unit") { Description = "Emails per unit.", DefaultValueFactory = _ => 1 };
        var seed = new Option<string>("--seed") { Description = "Seeds every draw and the email ids.", DefaultValueFactory = _ => "sim" };
        var start = new Option<string?>("--start") { Description = "RFC 3339 arrival of the first email (default: now)." };
        var spacing = new Option<double>("--spacing-ms") { Description = "Milliseconds between emails.", DefaultValueFactory = _ => 100 };
        var accuracy = new Option<double>("--accuracy") { Description = "Share of right predictions under the control's model.", DefaultValueFactory = _ => 0.80 };
        var accuracyBy = new Option<string?>("--accuracy-by") { Description = "Accuracy of an arm's model, ARM=P,..." };
        var decay = new Option<double>("--accuracy-decay-per-day") { Description = "How much every model's accuracy falls per day since --start (0.01: a point a day)." };
        var median = new Option<double>("--handling-median") { Description = "Median handling seconds under the control.", DefaultValueFactory = _ => 240 };
        var effect = new Option<string?>("--handling-effect") { Description = "Relative handling-time change under an arm's model, ARM=R,... (-0.066 is 6.6% faster)." };
        var drop = new Option<string?>("--drop-exposures") { Description = "A logging bug: share of an arm's exposures never logged, ARM=F,..." };
        var replyRate = new Option<double>("--reply-rate") { Description = "Templates: share of messages that get a reply.", DefaultValueFactory = _ => 0.25 };
        var positive = new Option<double>("--positive-reply-rate") { Description = "Templates: share that get a positive reply.", DefaultValueFactory = _ => 0.08 };
        var positiveBy = new Option<string?>("--positive-reply-rate-by") { Description = "Templates: positive reply rate by arm, ARM=P,..." };
        var corpus = new Option<FileInfo?>("--corpus") { Description = "A CSV of emails and intents (default: the generated demo corpus)." };
        var textColumn = new Option<string>("--text-column") { Description = "The corpus's text column.", DefaultValueFactory = _ => "text" };
        var labelColumn = new Option<string>("--label-column") { Description = "The corpus's intent column.", DefaultValueFactory = _ => "label" };
        var container = new Option<string>("--log-container") { Description = "The event log's container.", DefaultValueFactory = _ => EventLogWriter.DefaultContainer };
        var queue = new Option<string?>("--via-queue") { Description = "Send every email through this storage queue and consume it (at-least-once, acknowledged after the events are durable)." };
        var resume = new Option<bool>("--resume") { Description = "With --via-queue: only consume what is left in the queue (after a crash)." };
        var visibility = new Option<int>("--visibility-timeout") { Description = "With --via-queue: seconds a received message stays invisible.", DefaultValueFactory = _ => 30 };
        var acked = new Option<FileInfo?>("--acked") { Description = "With --via-queue: append the id of every acknowledged email to this file." };

        var command = new Command("simulate", "Simulate traffic for an experiment through the real assigner and event log.")
        {
            experiment, units, perUnit, seed, start, spacing, accuracy, accuracyBy, decay, median, effect, drop, replyRate, positive, positiveBy,
            corpus, textColumn, labelColumn, container, queue, resume, visibility, acked, ExperimentsCommand.Storage,
        };
        command.SetAction(async (parse, ct) =>
        {
            var account = ExperimentsCommand.Account(parse);
            string id = parse.GetValue(experiment)!;
            var store = new ExperimentStore(account.Container(ExperimentStore.DefaultContainer));
            var definition = (await store.GetAsync(id, ct).ConfigureAwait(false))?.Definition ?? throw new CliException($"there is no experiment '{id}'");
            if (definition.Phase is not (ExperimentPhase.AA or ExperimentPhase.AB))
            {
                throw new CliException($"experiment '{id}' is {ExperimentValidation.PhaseName(definition.Phase)}: simulate needs it in its A/A or A/B phase (verdict experiments start-aa {id})");
            }
            var options = new SimulationOptions
            {
                Units = parse.GetValue(units),
                EmailsPerUnit = parse.GetValue(perUnit),
                Seed = parse.GetValue(seed)!,
                Start = parse.GetValue(start) is { } s
                    ? DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : throw new CliException($"--start: '{s}' is not an RFC 3339 timestamp.")
                    : DateTimeOffset.UtcNow,
                Spacing = TimeSpan.FromMilliseconds(parse.GetValue(spacing)),
                Corpus = ReadCorpus(parse.GetValue(corpus), parse.GetValue(textColumn)!, parse.GetValue(labelColumn)!),
                Accuracy = parse.GetValue(accuracy),
                AccuracyByArm = PerArm("--accuracy-by", parse.GetValue(accuracyBy), definition),
                AccuracyDecayPerDay = parse.GetValue(decay),
                MedianHandlingSeconds = parse.GetValue(median),
                HandlingEffectByArm = PerArm("--handling-effect", parse.GetValue(effect), definition),
                DropExposures = PerArm("--drop-exposures", parse.GetValue(drop), definition),
                ReplyRate = parse.GetValue(replyRate),
                PositiveReplyRate = parse.GetValue(positive),
                PositiveReplyRateByArm = PerArm("--positive-reply-rate-by", parse.GetValue(positiveBy), definition),
            };
            TrafficSimulator simulator;
            try
            {
                // The definition was just read and a simulation is short: its ETag need not be checked every 30 s.
                simulator = new TrafficSimulator(new ArmAssigner(store, new ExperimentAssignerOptions { Refresh = TimeSpan.FromMinutes(5) }), definition, options);
            }
            catch (ArgumentException ex)
            {
                throw new CliException(ex.Message.Split(" (Parameter '")[0].Split(Environment.NewLine)[0]);
            }

            var log = account.Container(parse.GetValue(container)!);
            SimulationSummary summary;
            var writer = new EventLogWriter(log);
            await using (writer.ConfigureAwait(false))
            {
                summary = parse.GetValue(queue) is { } queueName
                    ? await ThroughQueueAsync(simulator, writer, CliStorage.Queue(account, queueName), CliStorage.Queue(account, queueName + "-poison"),
                        parse.GetValue(resume), TimeSpan.FromSeconds(parse.GetValue(visibility)), parse.GetValue(acked), ct).ConfigureAwait(false)
                    : await simulator.RunAsync(writer, cancellationToken: ct).ConfigureAwait(false);
            }
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                experiment = id,
                phase = ExperimentValidation.PhaseName(definition.Phase),
                emails = summary.Emails,
                emailsPerArm = summary.EmailsPerArm,
                exposuresLogged = summary.ExposuresLogged,
                exposuresDropped = summary.ExposuresDropped,
                eventsLogged = summary.EventsLogged,
                log = $"log://{log.Name}",
            }, MessageJson));
            return 0;
        });
        return command;
    }

    /// <summary>
    /// Enqueues every email (unless resuming), then consumes the queue with a few concurrent receivers: a
    /// batch of messages is simulated, its events appended durably in one group commit, and only then are the
    /// messages deleted. A crash at any point leaves unacknowledged messages to reappear after the visibility
    /// timeout; their events may then be logged twice, which the reader deduplicates by id.
    /// </summary>
    private static async Task<SimulationSummary> ThroughQueueAsync(TrafficSimulator simulator, EventLogWriter writer, QueueClient queue, QueueClient poison, bool resume,
        TimeSpan visibility, FileInfo? ackedFile, CancellationToken ct)
    {
        if (visibility < TimeSpan.FromSeconds(1) || visibility > TimeSpan.FromDays(7))
        {
            throw new CliException("--visibility-timeout must be between 1 second and 7 days.");
        }
        if (!QueueName().IsMatch(queue.Name) || queue.Name.Contains("--", StringComparison.Ordinal) || queue.Name.Length > 56)
        {
            throw new CliException($"--via-queue: '{queue.Name}' is not a queue name (3 to 56 lowercase letters, digits and single hyphens, so that '-poison' still fits).");
        }
        await queue.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
        if (!resume)
        {
            await Parallel.ForEachAsync(simulator.Emails(), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (email, token) =>
                await queue.SendMessageAsync(JsonSerializer.Serialize(new QueueEmail(email.Id, email.Unit, email.Ts, email.Body, email.TrueIntent), MessageJson), token).ConfigureAwait(false))
                .ConfigureAwait(false);
        }

        var tally = new SimulationTally();
        var gate = new Lock();
        using StreamWriter? ackLog = ackedFile is null ? null : new StreamWriter(ackedFile.FullName, append: true) { AutoFlush = true };
        long acknowledged = 0;
        var consumers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var received = (await queue.ReceiveMessagesAsync(32, visibility, ct).ConfigureAwait(false)).Value;
                if (received.Length == 0)
                {
                    if ((await queue.GetPropertiesAsync(ct).ConfigureAwait(false)).Value.ApproximateMessagesCount == 0)
                    {
                        return;
                    }
                    await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
                    continue;
                }
                var done = await ProcessAsync(simulator, writer, queue, poison, received, ct).ConfigureAwait(false);
                lock (gate)
                {
                    foreach (var t in done)
                    {
                        tally.Add(t);
                        ackLog?.WriteLine(t.Email.Id);
                    }
                    acknowledged += done.Count;
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"acknowledged {acknowledged}"));
                }
            }
        }, ct)).ToArray();
        await Task.WhenAll(consumers).ConfigureAwait(false);
        return tally.Summary();
    }

    /// <summary>
    /// Simulates a batch of received messages, appends their events durably, and only then deletes them.
    /// Returns the traffic of the messages it deleted; a message that cannot be parsed goes to the poison queue.
    /// </summary>
    private static async Task<List<SimulatedTraffic>> ProcessAsync(TrafficSimulator simulator, EventLogWriter writer, QueueClient queue, QueueClient poison,
        QueueMessage[] received, CancellationToken ct)
    {
        var traffic = new List<SimulatedTraffic>(received.Length);
        var accepted = new List<QueueMessage>(received.Length);
        foreach (var message in received)
        {
            if (ParseEmail(message) is not { } email)
            {
                await PoisonAsync(queue, poison, message, "not a simulated email: expected JSON with id, unit, ts, body and trueIntent", ct).ConfigureAwait(false);
                continue;
            }
            traffic.Add(await simulator.SimulateAsync(email, ct).ConfigureAwait(false));
            accepted.Add(message);
        }
        await writer.AppendAsync([.. traffic.SelectMany(t => t.Events)], ct).ConfigureAwait(false);
        // Durable: now, and only now, acknowledge.
        var deleted = await Task.WhenAll(accepted.Select(m => AcknowledgeAsync(queue, m, ct))).ConfigureAwait(false);
        return [.. traffic.Where((_, i) => deleted[i])];
    }

    /// <summary>
    /// Deletes a processed message. False when it was not ours to delete any more: its visibility timeout ran
    /// out and another receiver holds it, so it will be processed (and its events logged) again.
    /// </summary>
    private static async Task<bool> AcknowledgeAsync(QueueClient queue, QueueMessage message, CancellationToken ct)
    {
        try
        {
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct).ConfigureAwait(false);
            return true;
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404 || ex.ErrorCode == "PopReceiptMismatch")
        {
            return false;
        }
    }

    private static SimulatedEmail? ParseEmail(QueueMessage message)
    {
        try
        {
            var e = JsonSerializer.Deserialize<QueueEmail>(message.MessageText, MessageJson);
            return e is { Id.Length: > 0, Unit.Length: > 0, TrueIntent.Length: > 0 } ? new SimulatedEmail(e.Id, e.Unit, e.Ts, e.Body ?? "", e.TrueIntent) : null;
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Moves a message that can never succeed to the poison queue with the reason, then removes it.</summary>
    private static async Task PoisonAsync(QueueClient queue, QueueClient poison, QueueMessage message, string reason, CancellationToken ct)
    {
        await poison.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
        await poison.SendMessageAsync(PoisonEntry.ToJson(reason, queue.Name, message.DequeueCount, DateTimeOffset.UtcNow, message.MessageText), ct).ConfigureAwait(false);
        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct).ConfigureAwait(false);
    }


    private static List<CorpusEmail> ReadCorpus(FileInfo? file, string textColumn, string labelColumn) =>
        file is null
            ? [.. DemoCorpus.Generate(200, 7).Select(e => new CorpusEmail(e.Text, e.Label))]
            : [.. LabelledCsvReader.Read(file.FullName, textColumn, labelColumn, null).Select(e => new CorpusEmail(e.Text, e.Label))];

    private static Dictionary<string, double> PerArm(string option, string? text, ExperimentDefinition definition)
    {
        var values = AnalyzeCommand.ParseArmValues(option, text) ?? [];
        foreach (string arm in values.Keys.Where(k => !definition.Arms.Any(a => a.Name == k)))
        {
            throw new CliException($"{option}: experiment '{definition.Id}' has no arm '{arm}' (it has {string.Join(", ", definition.Arms.Select(a => a.Name))})");
        }
        return values;
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial System.Text.RegularExpressions.Regex QueueName();

    private sealed record QueueEmail(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("unit")] string Unit,
        [property: JsonPropertyName("ts")] DateTimeOffset Ts,
        [property: JsonPropertyName("body")] string? Body,
        [property: JsonPropertyName("trueIntent")] string TrueIntent);
}
