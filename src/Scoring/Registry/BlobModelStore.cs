using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Verdict.Scoring.Packages;

namespace Verdict.Scoring.Registry;

/// <summary>
/// Model packages in a Blob container as <c>{name}/{version}/{file}</c>. The manifest is uploaded last
/// and only if absent, so a version becomes visible whole and two publishers cannot both create it.
/// </summary>
internal sealed class BlobModelStore(BlobContainerClient container) : IModelStore
{
    private const string ManifestSuffix = "/" + ModelPackage.ManifestFile;

    public string Description => container.Uri.ToString();

    public async Task<IReadOnlyList<string>> ListModelsAsync(CancellationToken cancellationToken)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        await foreach (var (name, _) in ListManifestsAsync(prefix: null, cancellationToken).ConfigureAwait(false))
        {
            names.Add(name);
        }
        return [.. names];
    }

    public async Task<IReadOnlyList<string>> ListVersionsAsync(string name, CancellationToken cancellationToken)
    {
        var versions = new List<string>();
        await foreach (var (_, version) in ListManifestsAsync(name + "/", cancellationToken).ConfigureAwait(false))
        {
            versions.Add(version);
        }
        return versions;
    }

    public async Task<byte[]?> ReadFileAsync(string name, string version, string file, CancellationToken cancellationToken)
    {
        try
        {
            var result = await container.GetBlobClient($"{name}/{version}/{file}").DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return result.Value.Content.ToArray();
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    public async Task WriteVersionAsync(string name, string version, IEnumerable<KeyValuePair<string, byte[]>> files, CancellationToken cancellationToken)
    {
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var manifest = container.GetBlobClient($"{name}/{version}/{ModelPackage.ManifestFile}");
        if (await manifest.ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            throw VersionExists(name, version);
        }
        foreach (var (file, bytes) in files)
        {
            var blob = container.GetBlobClient($"{name}/{version}/{file}");
            var options = new BlobUploadOptions();
            if (file == ModelPackage.ManifestFile)
            {
                options.Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All };
                options.HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" };
            }
            try
            {
                await blob.UploadAsync(BinaryData.FromBytes(bytes), options, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status == 409 && file == ModelPackage.ManifestFile)
            {
                throw VersionExists(name, version);
            }
        }
    }

    private async IAsyncEnumerable<(string Name, string Version)> ListManifestsAsync(
        string? prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!await container.ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            yield break;
        }
        await foreach (var blob in container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken).ConfigureAwait(false))
        {
            if (!blob.Name.EndsWith(ManifestSuffix, StringComparison.Ordinal))
            {
                continue;
            }
            var parts = blob.Name.Split('/');
            if (parts.Length == 3 && ModelReference.IsValidSegment(parts[0]) && ModelReference.IsValidSegment(parts[1]))
            {
                yield return (parts[0], parts[1]);
            }
        }
    }

    private static ScoringException VersionExists(string name, string version) =>
        new(ScoringError.VersionExists, $"{name}@{version} is already published; publish a new version instead.");
}
