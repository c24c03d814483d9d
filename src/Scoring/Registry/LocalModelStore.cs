using Verdict.Scoring.Packages;

namespace Verdict.Scoring.Registry;

/// <summary>Model packages in a local folder. A version is written to a staging folder and renamed into place, so it appears whole or not at all.</summary>
internal sealed class LocalModelStore(string root) : IModelStore
{
    public string Description => root;

    public Task<IReadOnlyList<string>> ListModelsAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> names = Directory.Exists(root)
            ? [.. Directory.EnumerateDirectories(root).Select(Path.GetFileName).OfType<string>()
                .Where(n => ModelReference.IsValidSegment(n) && ListVersions(n).Count > 0).Order(StringComparer.Ordinal)]
            : [];
        return Task.FromResult(names);
    }

    public Task<IReadOnlyList<string>> ListVersionsAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(ListVersions(name));

    public async Task<byte[]?> ReadFileAsync(string name, string version, string file, CancellationToken cancellationToken)
    {
        var path = Path.Combine(root, name, version, file);
        return File.Exists(path) ? await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false) : null;
    }

    public async Task WriteVersionAsync(string name, string version, IEnumerable<KeyValuePair<string, byte[]>> files, CancellationToken cancellationToken)
    {
        var target = Path.Combine(root, name, version);
        if (Directory.Exists(target))
        {
            throw new ScoringException(ScoringError.VersionExists, $"{name}@{version} is already published in {root}; publish a new version instead.");
        }
        Directory.CreateDirectory(Path.Combine(root, name));
        var staging = Path.Combine(root, name, $".staging-{version}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            foreach (var (file, bytes) in files)
            {
                await File.WriteAllBytesAsync(Path.Combine(staging, file), bytes, cancellationToken).ConfigureAwait(false);
            }
            Directory.Move(staging, target);
        }
        catch (IOException) when (Directory.Exists(target))
        {
            throw new ScoringException(ScoringError.VersionExists, $"{name}@{version} is already published in {root}; publish a new version instead.");
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    private IReadOnlyList<string> ListVersions(string name)
    {
        var folder = Path.Combine(root, name);
        return Directory.Exists(folder)
            ? [.. Directory.EnumerateDirectories(folder)
                .Where(d => File.Exists(Path.Combine(d, ModelPackage.ManifestFile)))
                .Select(Path.GetFileName).OfType<string>()
                .Where(ModelReference.IsValidSegment)]
            : [];
    }
}
