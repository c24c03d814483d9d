using System.ComponentModel.DataAnnotations;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Verdict.Scoring.Inference;
using Verdict.Scoring.Registry;

namespace Verdict.Scoring.Hosting;

/// <summary>
/// The scoring library wired up: a registry over the configured store and a scorer over it. Creating
/// it validates the options and picks the execution provider, so a bad setting fails here, at
/// start-up, and never in the middle of a request.
/// </summary>
public sealed class ScoringRuntime : IDisposable
{
    private readonly ModelRegistry _registry;

    private ScoringRuntime(ModelRegistry registry, IntentScorer scorer)
    {
        _registry = registry;
        Scorer = scorer;
    }

    /// <summary>Scores texts.</summary>
    public IIntentScorer Scorer { get; }

    /// <summary>Lists and publishes model versions.</summary>
    public IModelRegistry Registry => _registry;

    /// <summary>Where the sessions run: <see cref="ExecutionProviderKind.Cuda"/> or <see cref="ExecutionProviderKind.Cpu"/> (after any fallback).</summary>
    public ExecutionProviderKind ExecutionProvider => _registry.UsesCuda ? ExecutionProviderKind.Cuda : ExecutionProviderKind.Cpu;

    /// <summary>Validates <paramref name="options"/> and builds the runtime.</summary>
    /// <exception cref="ScoringException">The options are invalid, or the execution provider is unavailable.</exception>
    public static ScoringRuntime Create(ScoringOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        if (!options.HasModelSource)
        {
            throw new ScoringException(ScoringError.InvalidInput, "Invalid scoring options: " + ScoringOptions.NoModelSourceMessage);
        }
        StorageAccount? storage;
        try
        {
            storage = StorageAccount.Resolve(options.StorageSettings);
        }
        catch (InvalidOperationException ex)
        {
            throw new ScoringException(ScoringError.InvalidInput, "Invalid scoring options: " + ex.Message);
        }
        return Create(options, storage, loggerFactory, timeProvider);
    }

    /// <summary>
    /// Validates <paramref name="options"/> and builds the runtime over the <c>models</c> container
    /// (<see cref="ScoringOptions.BlobContainer"/>) of <paramref name="storage"/>, an account the host
    /// already reaches; the options' own storage settings are not used.
    /// </summary>
    /// <exception cref="ScoringException">The options are invalid, or the execution provider is unavailable.</exception>
    public static ScoringRuntime Create(ScoringOptions options, StorageAccount? storage, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        if (storage is null && string.IsNullOrWhiteSpace(options.LocalPath))
        {
            throw new ScoringException(ScoringError.InvalidInput, "Invalid scoring options: no storage account and no Scoring:LocalPath.");
        }
        loggerFactory ??= NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger("Verdict.Scoring");
        var useCuda = ExecutionProviderSelector.UseCuda(options.ExecutionProvider, logger);
        IModelStore store = storage is null
            ? new LocalModelStore(options.LocalPath!)
            : new BlobModelStore(storage.Container(options.BlobContainer));
        var registry = new ModelRegistry(store, options, useCuda, timeProvider ?? TimeProvider.System, logger);
        return new ScoringRuntime(registry, new IntentScorer(registry, options));
    }

    private static void Validate(ScoringOptions options)
    {
        var problems = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), problems, validateAllProperties: true))
        {
            throw new ScoringException(ScoringError.InvalidInput, "Invalid scoring options: " + string.Join(" ", problems.Select(p => p.ErrorMessage)));
        }
    }

    internal static ScoringRuntime Create(IModelStore store, ScoringOptions options, TimeProvider timeProvider)
    {
        var registry = new ModelRegistry(store, options, useCuda: false, timeProvider, NullLogger.Instance);
        return new ScoringRuntime(registry, new IntentScorer(registry, options));
    }

    /// <summary>The versions with a live ONNX Runtime session (for tests).</summary>
    internal IReadOnlyList<string> LoadedVersions => _registry.LoadedVersions;

    /// <summary>Releases every loaded ONNX Runtime session.</summary>
    public void Dispose() => _registry.Dispose();
}
