using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Verdict.Scoring.Inference;
using Verdict.Scoring.Packages;

namespace Verdict.Scoring.Registry;

/// <summary>
/// Loads model versions from a store and caches one ONNX Runtime session per version. Concurrent
/// first requests for a version share one load. A name without a version resolves to the newest
/// version that loads; a corrupted newer version is logged and skipped, so the previous one keeps
/// serving. The newest version is looked up again after <see cref="ScoringOptions.LatestVersionRefreshInterval"/>
/// (at once after a publish through this registry). A version nobody has scored with for
/// <see cref="ScoringOptions.IdleModelTimeout"/> is unloaded once its last call ends, and loaded again if
/// asked for: an instance that lives through many promotions does not keep every version in memory.
/// </summary>
internal sealed class ModelRegistry : IModelRegistry, IDisposable
{
    private readonly IModelStore _store;
    private readonly string _storeName;
    private readonly ScoringOptions _options;
    private readonly bool _useCuda;
    /// <summary>Whether sessions run on CUDA.</summary>
    internal bool UsesCuda => _useCuda;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Lazy<Task<OnnxIntentModel>>> _loaded = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, LatestEntry> _latest = new(StringComparer.Ordinal);
    private long _nextSweep = long.MinValue;

    public ModelRegistry(IModelStore store, ScoringOptions options, bool useCuda, TimeProvider time, ILogger logger)
    {
        _store = store;
        _storeName = store.Description;
        _options = options;
        _useCuda = useCuda;
        _time = time;
        _logger = logger;
    }

    /// <summary>Returns the model with a lease taken; the caller must <see cref="OnnxIntentModel.Release"/> it.</summary>
    public async ValueTask<OnnxIntentModel> AcquireAsync(ModelReference reference, CancellationToken cancellationToken)
    {
        while (true)
        {
            var model = reference.Version is { } version
                ? await LoadAsync(reference.Name, version, cancellationToken).ConfigureAwait(false)
                : await ResolveNewestAsync(reference.Name, cancellationToken).ConfigureAwait(false);
            if (model.TryAcquire())
            {
                long now = _time.GetUtcNow().UtcTicks;
                model.Touch(now);
                EvictIdle(now);
                return model;
            }
        }
    }

    public async Task<IReadOnlyList<ModelVersionInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        var result = new List<ModelVersionInfo>();
        foreach (var name in await _store.ListModelsAsync(cancellationToken).ConfigureAwait(false))
        {
            var versions = (await _store.ListVersionsAsync(name, cancellationToken).ConfigureAwait(false))
                .OrderDescending(VersionComparer.Instance);
            foreach (var version in versions)
            {
                var bytes = await _store.ReadFileAsync(name, version, ModelPackage.ManifestFile, cancellationToken).ConfigureAwait(false);
                if (bytes is not null)
                {
                    result.Add(new ModelVersionInfo(name, version, ManifestJson.Deserialize(bytes, $"{name}@{version}")));
                }
            }
        }
        return result;
    }

    public async Task<ModelVersionInfo> GetAsync(ModelReference model, CancellationToken cancellationToken = default)
    {
        var loaded = await AcquireAsync(model, cancellationToken).ConfigureAwait(false);
        try
        {
            return new ModelVersionInfo(loaded.Manifest.Name, loaded.Manifest.Version, loaded.Manifest);
        }
        finally
        {
            loaded.Release();
        }
    }

    public async Task<ModelVersionInfo> PublishAsync(string packageDirectory, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(packageDirectory))
        {
            throw new ScoringException(ScoringError.PackageFileMissing, $"{packageDirectory}: no such folder.");
        }
        var package = await ModelPackage.ReadFolderAsync(packageDirectory, cancellationToken).ConfigureAwait(false);
        var model = Open(package);
        var manifest = package.Manifest;
        try
        {
            await _store.WriteVersionAsync(manifest.Name, manifest.Version, package.Files(), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        var key = Key(manifest.Name, manifest.Version);
        if (!_loaded.TryAdd(key, new Lazy<Task<OnnxIntentModel>>(Task.FromResult(model))))
        {
            model.Dispose();
        }
        _latest.TryRemove(manifest.Name, out _);
        RegistryLog.Published(_logger, manifest.Name, manifest.Version, _storeName);
        return new ModelVersionInfo(manifest.Name, manifest.Version, manifest);
    }

    private async Task<OnnxIntentModel> LoadAsync(string name, string version, CancellationToken cancellationToken)
    {
        var key = Key(name, version);
        var lazy = _loaded.GetOrAdd(key, _ => new Lazy<Task<OnnxIntentModel>>(() => LoadFromStoreAsync(name, version)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ScoringException)
        {
            // Forget the failure so that a repaired package can load on a later request.
            _loaded.TryRemove(new KeyValuePair<string, Lazy<Task<OnnxIntentModel>>>(key, lazy));
            throw;
        }
    }

    private async Task<OnnxIntentModel> LoadFromStoreAsync(string name, string version)
    {
        var source = $"{name}@{version}";
        var package = await ModelPackage.ReadAsync(
            source,
            (file, ct) => _store.ReadFileAsync(name, version, file, ct),
            CancellationToken.None,
            ScoringError.ModelNotFound).ConfigureAwait(false);
        if (package.Manifest.Name != name || package.Manifest.Version != version)
        {
            throw new ScoringException(ScoringError.ManifestInvalid,
                $"{source}: the manifest says {package.Manifest.Name}@{package.Manifest.Version}; the folder and the manifest must agree.");
        }
        var model = Open(package);
        RegistryLog.Loaded(_logger, source, _storeName);
        return model;
    }

    private async Task<OnnxIntentModel> ResolveNewestAsync(string name, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (_latest.TryGetValue(name, out var entry) && now - entry.CheckedAt < _options.LatestVersionRefreshInterval)
        {
            return await LoadAsync(name, entry.Version, cancellationToken).ConfigureAwait(false);
        }
        var versions = (await _store.ListVersionsAsync(name, cancellationToken).ConfigureAwait(false))
            .OrderDescending(VersionComparer.Instance)
            .ToList();
        ScoringException? newestError = null;
        foreach (var version in versions)
        {
            try
            {
                var model = await LoadAsync(name, version, cancellationToken).ConfigureAwait(false);
                _latest[name] = new LatestEntry(version, now);
                return model;
            }
            catch (ScoringException ex)
            {
                newestError ??= ex;
                RegistryLog.Unservable(_logger, $"{name}@{version}", ex.Error, ex.Message);
            }
        }
        if (newestError is not null)
        {
            throw newestError;
        }
        throw new ScoringException(ScoringError.ModelNotFound, $"No version of model '{name}' is published in {_storeName}.");
    }

    /// <summary>Loads a package's session, counted as used now so that an idle sweep does not take it before its first call.</summary>
    private OnnxIntentModel Open(ModelPackage package)
    {
        var model = OnnxIntentModel.Load(package, _options.IntraOpNumThreads, _useCuda);
        model.Touch(_time.GetUtcNow().UtcTicks);
        return model;
    }

    private static string Key(string name, string version) => $"{name}@{version}";

    /// <summary>The versions loaded now (for tests).</summary>
    internal IReadOnlyList<string> LoadedVersions => [.. _loaded.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Unloads the versions idle for the timeout; looks at most four times per timeout, from whichever call comes first.</summary>
    private void EvictIdle(long now)
    {
        long idle = _options.IdleModelTimeout.Ticks;
        long next = Volatile.Read(ref _nextSweep);
        if (idle <= 0 || now < next || Interlocked.CompareExchange(ref _nextSweep, now + Math.Max(idle / 4, TimeSpan.TicksPerSecond), next) != next)
        {
            return;
        }
        foreach (var (key, lazy) in _loaded)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully && now - lazy.Value.Result.LastUsed >= idle
                && _loaded.TryRemove(new KeyValuePair<string, Lazy<Task<OnnxIntentModel>>>(key, lazy)))
            {
                // Calls that hold a lease finish on it; the session goes with the last of them.
                lazy.Value.Result.Retire();
                RegistryLog.Unloaded(_logger, key, _options.IdleModelTimeout);
            }
        }
    }

    public void Dispose()
    {
        foreach (var lazy in _loaded.Values)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
            {
                lazy.Value.Result.Dispose();
            }
        }
        _loaded.Clear();
    }

    private sealed record LatestEntry(string Version, DateTimeOffset CheckedAt);
}
