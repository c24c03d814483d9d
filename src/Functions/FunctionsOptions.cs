using Azure.Core;
using Microsoft.Extensions.Options;
using Verdict.Experimentation.Events;
using Verdict.Scoring.Hosting;

namespace Verdict.Functions;

/// <summary>Settings of the Functions app (configuration section <c>Verdict</c>).</summary>
public sealed class FunctionsOptions
{
    /// <summary>
    /// Storage for models, experiments, the event log and queues, as a connection string. Set this, or
    /// <see cref="StorageAccountName"/>, or the two service URIs. When none of them is set, the app reads
    /// <c>VERDICT_STORAGE_CONNECTION_STRING</c>, then the Functions host's own <c>AzureWebJobsStorage</c>
    /// (a connection string, or <c>AzureWebJobsStorage__accountName</c> / <c>__blobServiceUri</c> and
    /// <c>__queueServiceUri</c> / <c>__clientId</c> for an identity-based connection).
    /// </summary>
    public string? StorageConnectionString { get; set; }

    /// <summary>A storage account in public Azure reached with the app's managed identity: no key in any setting.</summary>
    public string? StorageAccountName { get; set; }

    /// <summary>The Blob service URI of an account reached with Entra ID (other clouds, private endpoints; HTTPS).</summary>
    public string? StorageBlobServiceUri { get; set; }

    /// <summary>The Queue service URI of an account reached with Entra ID (HTTPS).</summary>
    public string? StorageQueueServiceUri { get; set; }

    /// <summary>The client id of a user-assigned managed identity; unset means the system-assigned one (locally, the developer's sign-in).</summary>
    public string? StorageClientId { get; set; }

    /// <summary>The event log's container.</summary>
    public string EventContainer { get; set; } = "events";

    /// <summary>Where the text of emails is kept for the experiments (<c>keepBodies</c>) and slots (<see cref="KeepBodiesForSlots"/>) that opt in; the deployment deletes it after its retention.</summary>
    public string BodyContainer { get; set; } = "bodies";

    /// <summary>Slots whose traffic keeps the text of its emails for retraining, comma-separated (none by default).</summary>
    public string? KeepBodiesForSlots { get; set; }

    /// <summary>
    /// The champion slot that serves emails sent without an experiment, model or slot, and every reply: what the last
    /// promotion into it wrote (docs/experiments.md). Unset: that traffic gets <see cref="DefaultModel"/>.
    /// </summary>
    public string? DefaultSlot { get; set; }

    /// <summary>How long a slot's champion is served before it is read again: a promotion or rollback reaches traffic within it (at most 30 s).</summary>
    public TimeSpan SlotRefresh { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The model that scores an email sent without an experiment, model or slot, and every reply, while the default slot
    /// has no champion yet or is unset (<c>name</c> or <c>name@version</c>).
    /// </summary>
    public string? DefaultModel { get; set; }

    /// <summary>Longest email (subject and body together) in characters; longer ones get 413.</summary>
    public int MaxEmailChars { get; set; } = 20_000;

    /// <summary>
    /// How long start-up may spend loading the default model and the serving experiments' models before taking
    /// traffic (0 turns warm-up off: models load on first use). What is not loaded in time loads on first use.
    /// </summary>
    public TimeSpan WarmupTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Most emails or outcomes in one batch call.</summary>
    public int MaxBatch { get; set; } = 64;

    /// <summary>Largest request body in bytes.</summary>
    public int MaxRequestBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>
    /// Whether HTTP calls wait for their events to be stored before answering. Off by default: the scoring
    /// path answers first and logs after (a crash loses at most the last flush interval, about 200 ms, of
    /// events; see docs/experiments.md), because a durable append adds a storage round trip to every call.
    /// Queue messages are always logged durably before they are deleted.
    /// </summary>
    public bool DurableHttpLogging { get; set; }

    /// <summary>The key callers must send in <c>x-api-key</c> when the app listens beyond loopback.</summary>
    public string? ApiKey { get; set; }

    /// <summary>How many recent scoring (and template message) answers are remembered to make a repeated call idempotent: each store is a ring of this many × 512 bytes, enough for this many answers of average size.</summary>
    public int IdempotencyEntries { get; set; } = 200_000;

    /// <summary>
    /// Whether the local host polls the queues itself (default: it does). Under the Functions host this is not
    /// read: the host's queue triggers call the queue functions.
    /// </summary>
    public bool LocalQueues { get; set; } = true;

    /// <summary>
    /// How often the local host runs the autopilot (the Functions host runs it every ten minutes by its timer trigger);
    /// 0 turns the local timer off. Default 10 minutes.
    /// </summary>
    public TimeSpan AutopilotInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How often the local host compacts the event log's closed days (the Functions host runs it hourly by its timer
    /// trigger); 0 turns the local timer off. Default 1 hour.
    /// </summary>
    public TimeSpan CompactionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long after a day ends (UTC) its hourly log blobs are compacted (docs/compaction.md). Default 6 hours; at least 1.</summary>
    public TimeSpan CompactAfter { get; set; } = TimeSpan.FromHours(6);

    /// <summary>
    /// How many answered emails may wait to be scored by their experiment's shadow models (default 10,000); beyond it an
    /// email goes unshadowed and <c>verdict.shadow.dropped</c> counts it, so shadowing never holds up serving.
    /// </summary>
    public int ShadowQueueCapacity { get; set; } = 10_000;

    /// <summary>
    /// How long a message the local listeners hold stays hidden from other consumers; renewed every half of it
    /// while it is handled, so it matters only when the app dies holding it (default 1 minute; at least 2 s).
    /// </summary>
    public TimeSpan LocalQueueLease { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The <c>host.json</c> whose queue settings the local listeners follow; by default the one beside the app.</summary>
    public string? HostJson { get; set; }

    /// <summary>Base URL of the GPU scoring service; models whose manifest says <c>target: gpu</c> are scored there.</summary>
    public string? ScoringServiceUrl { get; set; }

    /// <summary>The longest a GPU call may take, retries included, before the control's model answers instead.</summary>
    public TimeSpan GpuTimeout { get; set; } = TimeSpan.FromMilliseconds(800);

    /// <summary>How long the circuit to the GPU service stays open after it trips, before a trial call.</summary>
    public TimeSpan GpuBreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long an experiment's report is served from its last analysis before the log is read again (default 1 minute; 0 reads it for every request not sharing one in progress).</summary>
    public TimeSpan ReportMaxAge { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The storage the app uses: its own settings, else <c>VERDICT_STORAGE_CONNECTION_STRING</c>, else the
    /// host's <c>AzureWebJobsStorage</c> connection. Tokens for an identity-based account come from
    /// <paramref name="credential"/> when given.
    /// </summary>
    /// <exception cref="InvalidOperationException">No storage is set, or its settings are invalid; the message names the setting.</exception>
    public StorageAccount ResolveStorage(IConfiguration configuration, TokenCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var own = new StorageSettings
        {
            ConnectionString = new("Verdict:StorageConnectionString", StorageConnectionString),
            AccountName = new("Verdict:StorageAccountName", StorageAccountName),
            BlobServiceUri = new("Verdict:StorageBlobServiceUri", StorageBlobServiceUri),
            QueueServiceUri = new("Verdict:StorageQueueServiceUri", StorageQueueServiceUri),
            ClientId = new("Verdict:StorageClientId", StorageClientId),
        };
        var environment = new StorageSettings
        {
            ConnectionString = new("VERDICT_STORAGE_CONNECTION_STRING", configuration["VERDICT_STORAGE_CONNECTION_STRING"]),
        };
        var host = new StorageSettings
        {
            ConnectionString = new("AzureWebJobsStorage", configuration["AzureWebJobsStorage"]),
            AccountName = new("AzureWebJobsStorage__accountName", configuration["AzureWebJobsStorage:accountName"]),
            BlobServiceUri = new("AzureWebJobsStorage__blobServiceUri", configuration["AzureWebJobsStorage:blobServiceUri"]),
            QueueServiceUri = new("AzureWebJobsStorage__queueServiceUri", configuration["AzureWebJobsStorage:queueServiceUri"]),
            ClientId = new("AzureWebJobsStorage__clientId", configuration["AzureWebJobsStorage:clientId"]),
        };
        var account = StorageAccount.Resolve(own, credential) ?? StorageAccount.Resolve(environment, credential) ?? StorageAccount.Resolve(host, credential)
            ?? throw new InvalidOperationException(
                "Say where storage is: Verdict:StorageConnectionString, Verdict:StorageAccountName, or Verdict:StorageBlobServiceUri with Verdict:StorageQueueServiceUri " +
                "(else VERDICT_STORAGE_CONNECTION_STRING, or the host's AzureWebJobsStorage).");
        if (account.Credential is not null && account.QueueServiceUri is null)
        {
            throw new InvalidOperationException("Verdict:StorageQueueServiceUri is required with Verdict:StorageBlobServiceUri: the app uses queues.");
        }
        return account;
    }

    /// <summary>Throws when a setting is invalid, naming it.</summary>
    public void Validate()
    {
        if (MaxEmailChars < 1 || MaxBatch < 1 || MaxRequestBytes < 1024 || IdempotencyEntries < 1)
        {
            throw new InvalidOperationException("Verdict:MaxEmailChars, MaxBatch and IdempotencyEntries must be positive, MaxRequestBytes at least 1024.");
        }
        if (ScoringServiceUrl is not null && !Uri.TryCreate(ScoringServiceUrl, UriKind.Absolute, out _))
        {
            throw new InvalidOperationException($"Verdict:ScoringServiceUrl '{ScoringServiceUrl}' is not an absolute URL.");
        }
        if (WarmupTimeout < TimeSpan.Zero)
        {
            throw new InvalidOperationException("Verdict:WarmupTimeout must not be negative.");
        }
        if (GpuTimeout <= TimeSpan.Zero || GpuBreakDuration < TimeSpan.FromMilliseconds(500))
        {
            throw new InvalidOperationException("Verdict:GpuTimeout must be positive and Verdict:GpuBreakDuration at least 0.5 s.");
        }
        if (ReportMaxAge < TimeSpan.Zero || ReportMaxAge > TimeSpan.FromHours(1))
        {
            throw new InvalidOperationException($"Verdict:ReportMaxAge must be between 0 and 1 hour; it is {ReportMaxAge}.");
        }
        if (LocalQueueLease < TimeSpan.FromSeconds(2) || LocalQueueLease > TimeSpan.FromDays(7))
        {
            throw new InvalidOperationException($"Verdict:LocalQueueLease must be between 2 seconds and 7 days; it is {LocalQueueLease}.");
        }
        if (ShadowQueueCapacity < 1)
        {
            throw new InvalidOperationException($"Verdict:ShadowQueueCapacity must be at least 1; it is {ShadowQueueCapacity}.");
        }
        if (AutopilotInterval < TimeSpan.Zero)
        {
            throw new InvalidOperationException($"Verdict:AutopilotInterval must not be negative; it is {AutopilotInterval}.");
        }
        if (CompactionInterval < TimeSpan.Zero)
        {
            throw new InvalidOperationException($"Verdict:CompactionInterval must not be negative; it is {CompactionInterval}.");
        }
        if (new LogCompactionOptions { ClosedAfter = CompactAfter }.Problems().FirstOrDefault() is { } compaction)
        {
            throw new InvalidOperationException($"Verdict:CompactAfter: {compaction.Replace("ClosedAfter ", "", StringComparison.Ordinal)}.");
        }
        if (SlotRefresh <= TimeSpan.Zero || SlotRefresh > TimeSpan.FromSeconds(30))
        {
            throw new InvalidOperationException($"Verdict:SlotRefresh must be more than 0 and at most 30 seconds; it is {SlotRefresh}.");
        }
        if (DefaultSlot is not null && !Experimentation.Events.ServedEvent.IsSlotName(DefaultSlot))
        {
            throw new InvalidOperationException($"Verdict:DefaultSlot '{DefaultSlot}' must be 1 to 63 letters, digits, '-', '_' or '.', starting with a letter or digit.");
        }
        if (DefaultModel is not null && !Scoring.ModelReference.TryParse(DefaultModel, out _))
        {
            throw new InvalidOperationException($"Verdict:DefaultModel '{DefaultModel}' is not name or name@version.");
        }
    }
}

/// <summary>Runs <see cref="FunctionsOptions.Validate"/> for the options system: its message, which names the setting, is the failure.</summary>
internal sealed class FunctionsOptionsValidation : IValidateOptions<FunctionsOptions>
{
    public ValidateOptionsResult Validate(string? name, FunctionsOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (InvalidOperationException ex)
        {
            return ValidateOptionsResult.Fail(ex.Message);
        }
    }
}
