using System.Security.Cryptography;

namespace Verdict.Scoring.Packages;

/// <summary>
/// The files of one model version, in memory, with the manifest parsed and the checksum verified.
/// </summary>
internal sealed class ModelPackage
{
    public const string ManifestFile = "manifest.json";

    private ModelPackage(ModelManifest manifest, byte[] manifestBytes, byte[] onnx, IReadOnlyDictionary<string, byte[]> assets)
    {
        Manifest = manifest;
        ManifestBytes = manifestBytes;
        Onnx = onnx;
        Assets = assets;
    }

    public ModelManifest Manifest { get; }

    /// <summary>The manifest exactly as read, so publishing copies it byte for byte.</summary>
    public byte[] ManifestBytes { get; }

    public byte[] Onnx { get; }

    /// <summary>Other files the featurizer needs (a vocabulary), by file name.</summary>
    public IReadOnlyDictionary<string, byte[]> Assets { get; }

    public ModelReference Reference => new(Manifest.Name, Manifest.Version);

    /// <summary>
    /// Builds a package from a reader of its files, verifying before anything is loaded:
    /// the manifest parses, every named file exists, the ONNX file's SHA-256 matches.
    /// </summary>
    public static async Task<ModelPackage> ReadAsync(
        string source,
        Func<string, CancellationToken, Task<byte[]?>> readFile,
        CancellationToken cancellationToken,
        ScoringError missingManifest = ScoringError.PackageFileMissing)
    {
        var manifestBytes = await readFile(ManifestFile, cancellationToken).ConfigureAwait(false)
            ?? throw new ScoringException(missingManifest, missingManifest == ScoringError.ModelNotFound
                ? $"Model {source} is not published."
                : $"{source}: {ManifestFile} is missing.");
        var manifest = ManifestJson.Deserialize(manifestBytes, $"{source}/{ManifestFile}");

        var onnx = await readFile(manifest.Model.File, cancellationToken).ConfigureAwait(false)
            ?? throw new ScoringException(ScoringError.PackageFileMissing, $"{source}: {manifest.Model.File} is missing.");
        var actual = Convert.ToHexStringLower(SHA256.HashData(onnx));
        if (!string.Equals(actual, manifest.Model.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ScoringException(
                ScoringError.ChecksumMismatch,
                $"{source}: {manifest.Model.File} has SHA-256 {actual}, but the manifest says {manifest.Model.Sha256}.");
        }

        var assets = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        switch (manifest.Featurizer.Type)
        {
            case FeaturizerSpec.HashedNGrams:
                break;
            case FeaturizerSpec.WordPiece or FeaturizerSpec.Hybrid:
                var vocab = manifest.Featurizer.Vocab;
                if (string.IsNullOrWhiteSpace(vocab))
                {
                    throw new ScoringException(ScoringError.VocabularyMissing, $"{source}: the {manifest.Featurizer.Type} featurizer needs 'featurizer.vocab'.");
                }
                var vocabBytes = await readFile(vocab, cancellationToken).ConfigureAwait(false);
                if (vocabBytes is null || vocabBytes.Length == 0)
                {
                    throw new ScoringException(ScoringError.VocabularyMissing, $"{source}: the vocabulary '{vocab}' is missing or empty.");
                }
                assets[vocab] = vocabBytes;
                break;
            default:
                throw new ScoringException(
                    ScoringError.UnknownFeaturizer,
                    $"{source}: featurizer '{manifest.Featurizer.Type}' is unknown; expected '{FeaturizerSpec.HashedNGrams}', '{FeaturizerSpec.WordPiece}' or '{FeaturizerSpec.Hybrid}'.");
        }
        return new ModelPackage(manifest, manifestBytes, onnx, assets);
    }

    /// <summary>Reads a package from a local folder.</summary>
    public static Task<ModelPackage> ReadFolderAsync(string folder, CancellationToken cancellationToken) =>
        ReadAsync(folder, async (file, ct) =>
        {
            var path = Path.Combine(folder, file);
            return File.Exists(path) ? await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false) : null;
        }, cancellationToken);

    /// <summary>All files, manifest last (publishers write it last so a half-published version is never visible).</summary>
    public IEnumerable<KeyValuePair<string, byte[]>> Files()
    {
        yield return new(Manifest.Model.File, Onnx);
        foreach (var asset in Assets)
        {
            yield return asset;
        }
        yield return new(ManifestFile, ManifestBytes);
    }
}
