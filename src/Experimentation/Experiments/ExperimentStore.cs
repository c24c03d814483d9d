using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Verdict.Experimentation.Experiments;

/// <summary>A stored experiment and the ETag of the version read.</summary>
/// <param name="Definition">The definition.</param>
/// <param name="ETag">Pass it back to <see cref="ExperimentStore.ReplaceAsync"/>: the write succeeds only if nobody wrote in between.</param>
public sealed record StoredExperiment(ExperimentDefinition Definition, ETag ETag);

/// <summary>An action the autopilot took, with the analysis that justified it.</summary>
/// <param name="Experiment">Experiment id.</param>
/// <param name="Action"><c>start-ab</c>, <c>stop</c> or <c>promote</c>.</param>
/// <param name="From">The phase it left.</param>
/// <param name="To">The phase it reached.</param>
/// <param name="At">When it was decided.</param>
/// <param name="Status">The verdict's status.</param>
/// <param name="Summary">The verdict's summary.</param>
/// <param name="Analysis">The whole analysis (Contract 2 JSON).</param>
public sealed record AuditEntry(string Experiment, string Action, ExperimentPhase From, ExperimentPhase To, DateTimeOffset At, string Status, string Summary, JsonElement Analysis);

/// <summary>A champion slot: the model that serves outside experiments, and the ones before it.</summary>
/// <param name="Slot">Slot name.</param>
/// <param name="Champion">What serves now (a model reference or a template id).</param>
/// <param name="Previous">Earlier champions, most recent first.</param>
public sealed record ChampionSlot(string Slot, string Champion, IReadOnlyList<string> Previous)
{
    /// <summary>The experiment whose promotion made <see cref="Champion"/> champion, when one did.</summary>
    public string? PromotedBy { get; init; }

    /// <summary>The experiment whose rollback restored <see cref="Champion"/>, when one did.</summary>
    public string? RestoredBy { get; init; }
}

/// <summary>
/// Experiment definitions as JSON blobs (<c>experiments/{id}.json</c>) and champion slots
/// (<c>slots/{slot}.json</c>) in one container, written with optimistic concurrency on the blob ETag:
/// a create fails if the blob exists, a replace fails if it changed since it was read.
/// </summary>
public sealed class ExperimentStore
{
    /// <summary>The default container name.</summary>
    public const string DefaultContainer = "experiments";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly BlobContainerClient _container;

    /// <summary>A definition as JSON, as it is stored (camelCase, kebab-case enums, indented).</summary>
    public static string ToJson(ExperimentDefinition definition) => JsonSerializer.Serialize(definition, Json);

    /// <summary>Reads a definition from JSON as it is stored.</summary>
    /// <exception cref="JsonException">The JSON is malformed or does not fit the definition (with its line).</exception>
    public static ExperimentDefinition? FromJson(Stream json) => JsonSerializer.Deserialize<ExperimentDefinition>(json, Json);

    /// <summary>Creates a store over a container (created on first write).</summary>
    public ExperimentStore(BlobContainerClient container)
    {
        ArgumentNullException.ThrowIfNull(container);
        _container = container;
    }

    /// <summary>Stores a new experiment.</summary>
    /// <exception cref="ExperimentConflictException">An experiment with this id exists.</exception>
    public async Task<StoredExperiment> CreateAsync(ExperimentDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var etag = await WriteAsync(BlobName(definition.Id), definition, new BlobRequestConditions { IfNoneMatch = ETag.All },
            $"experiment '{definition.Id}' exists already", cancellationToken).ConfigureAwait(false);
        return new StoredExperiment(definition, etag);
    }

    /// <summary>Reads an experiment, or null when there is none with this id.</summary>
    /// <exception cref="ExperimentDefinitionException">The stored JSON is not a valid definition.</exception>
    public async Task<StoredExperiment?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        var read = await ReadAsync<ExperimentDefinition>(BlobName(id), cancellationToken).ConfigureAwait(false);
        return read is null ? null : new StoredExperiment(read.Value.Value, read.Value.ETag);
    }

    /// <summary>Every stored experiment, by id.</summary>
    public async Task<IReadOnlyList<StoredExperiment>> ListAsync(CancellationToken cancellationToken = default)
    {
        var result = new List<StoredExperiment>();
        if (!await _container.ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            return result;
        }
        await foreach (var item in _container.GetBlobsAsync(new GetBlobsOptions { Prefix = "experiments/" }, cancellationToken).ConfigureAwait(false))
        {
            if (await GetAsync(item.Name["experiments/".Length..^".json".Length], cancellationToken).ConfigureAwait(false) is { } stored)
            {
                result.Add(stored);
            }
        }
        return [.. result.OrderBy(s => s.Definition.Id, StringComparer.Ordinal)];
    }

    /// <summary>Replaces an experiment if it has not changed since <paramref name="etag"/> was read.</summary>
    /// <exception cref="ExperimentConflictException">It changed (or was deleted) in between.</exception>
    public async Task<StoredExperiment> ReplaceAsync(ExperimentDefinition definition, ETag etag, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var written = await WriteAsync(BlobName(definition.Id), definition, new BlobRequestConditions { IfMatch = etag },
            $"experiment '{definition.Id}' was changed by someone else; read it again and retry", cancellationToken).ConfigureAwait(false);
        return new StoredExperiment(definition, written);
    }

    /// <summary>Reads a champion slot, or null when it has none yet.</summary>
    public async Task<(ChampionSlot Slot, ETag ETag)?> GetSlotAsync(string slot, CancellationToken cancellationToken = default) =>
        await ReadAsync<ChampionSlot>(SlotName(slot), cancellationToken).ConfigureAwait(false);

    /// <summary>Writes a champion slot: created when <paramref name="etag"/> is null, else replaced if unchanged.</summary>
    /// <exception cref="ExperimentConflictException">The slot changed in between.</exception>
    public async Task<ETag> WriteSlotAsync(ChampionSlot slot, ETag? etag, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(slot);
        await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var conditions = etag is { } e ? new BlobRequestConditions { IfMatch = e } : new BlobRequestConditions { IfNoneMatch = ETag.All };
        return await WriteAsync(SlotName(slot.Slot), slot, conditions, $"champion slot '{slot.Slot}' was changed by someone else; retry", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The ETag of an experiment's blob without reading it (null when absent): a cheap change check.</summary>
    internal async Task<ETag?> GetETagAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            var properties = await _container.GetBlobClient(BlobName(id)).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return properties.Value.ETag;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// Writes an audit entry at <c>audit/{experiment}/{from}-{action}.json</c>: one name per step of an experiment's
    /// lifecycle, so a retried step overwrites its own entry instead of adding a second one.
    /// </summary>
    public async Task<string> WriteAuditAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        string name = AuditName(entry.Experiment, entry.From, entry.Action);
        await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await _container.GetBlobClient(name).UploadAsync(BinaryData.FromObjectAsJson(entry, Json), new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
        }, cancellationToken).ConfigureAwait(false);
        return name;
    }

    /// <summary>An experiment's audit entries, oldest first.</summary>
    public async Task<IReadOnlyList<AuditEntry>> ListAuditAsync(string id, CancellationToken cancellationToken = default)
    {
        var entries = new List<AuditEntry>();
        try
        {
            await foreach (var item in _container.GetBlobsAsync(new GetBlobsOptions { Prefix = $"audit/{id}/" }, cancellationToken).ConfigureAwait(false))
            {
                if ((await ReadAsync<AuditEntry>(item.Name, cancellationToken).ConfigureAwait(false))?.Value is { } entry)
                {
                    entries.Add(entry);
                }
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return entries;
        }
        return [.. entries.OrderBy(e => e.At)];
    }

    /// <summary>The audit entry's blob name for a step.</summary>
    public static string AuditName(string id, ExperimentPhase from, string action) =>
        $"audit/{id}/{ExperimentValidation.PhaseName(from)}-{action}.json";

    private static string BlobName(string id) => $"experiments/{id}.json";

    private static string SlotName(string slot) => $"slots/{slot}.json";

    private async Task<ETag> WriteAsync<T>(string name, T value, BlobRequestConditions conditions, string conflict, CancellationToken cancellationToken)
    {
        var content = BinaryData.FromObjectAsJson(value, Json);
        try
        {
            var response = await _container.GetBlobClient(name).UploadAsync(content, new BlobUploadOptions
            {
                Conditions = conditions,
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
            }, cancellationToken).ConfigureAwait(false);
            return response.Value.ETag;
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412 || (ex.Status == 404 && conditions.IfMatch is not null))
        {
            throw new ExperimentConflictException(conflict, ex);
        }
    }

    private async Task<(T Value, ETag ETag)?> ReadAsync<T>(string name, CancellationToken cancellationToken)
    {
        try
        {
            var download = await _container.GetBlobClient(name).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var value = download.Value.Content.ToObjectFromJson<T>(Json)
                    ?? throw new ExperimentDefinitionException($"{name}: the blob holds null");
                return (value, download.Value.Details.ETag);
            }
            catch (JsonException ex)
            {
                throw new ExperimentDefinitionException($"{name}: not a valid definition ({ex.Message})", ex);
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }
}
