using System.Text.Json;
using System.Text.Json.Serialization;

namespace Verdict.Scoring.Packages;

/// <summary>Reads and writes <c>manifest.json</c>.</summary>
public static class ManifestJson
{
    /// <summary>The serializer settings of manifests: camelCase, indented, nulls left out.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Serializes a manifest to UTF-8 JSON.</summary>
    public static byte[] Serialize(ModelManifest manifest) => JsonSerializer.SerializeToUtf8Bytes(manifest, Options);

    /// <summary>Parses a manifest; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="ScoringException">With <see cref="ScoringError.ManifestInvalid"/>.</exception>
    public static ModelManifest Deserialize(ReadOnlySpan<byte> json, string source)
    {
        ModelManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ModelManifest>(json, Options);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" at line {line + 1}" : "";
            var message = ex.Message.Contains("missing required properties", StringComparison.Ordinal)
                ? ex.Message
                : "it is not valid JSON";
            throw new ScoringException(ScoringError.ManifestInvalid, $"{source}: {message}{where}.", ex);
        }
        if (manifest is null)
        {
            throw new ScoringException(ScoringError.ManifestInvalid, $"{source}: the manifest is empty.");
        }
        Require(manifest.Name, "name", source);
        Require(manifest.Version, "version", source);
        Require(manifest.Model?.Sha256, "model.sha256", source);
        Require(manifest.Featurizer?.Type, "featurizer.type", source);
        if (manifest.Labels is null || manifest.Labels.Count < 2)
        {
            throw new ScoringException(ScoringError.ManifestInvalid, $"{source}: 'labels' must list at least two labels.");
        }
        if (manifest.Labels.Distinct(StringComparer.Ordinal).Count() != manifest.Labels.Count)
        {
            throw new ScoringException(ScoringError.ManifestInvalid, $"{source}: 'labels' has a duplicate.");
        }
        if (manifest.Target is not ("cpu" or "gpu"))
        {
            throw new ScoringException(ScoringError.ManifestInvalid, $"{source}: 'target' must be 'cpu' or 'gpu', not '{manifest.Target}'.");
        }
        if (manifest.Model!.OutputKind is not ("logits" or "probabilities"))
        {
            throw new ScoringException(ScoringError.ManifestInvalid, $"{source}: 'model.outputKind' must be 'logits' or 'probabilities'.");
        }
        if (!ModelReference.IsValidSegment(manifest.Name) || !ModelReference.IsValidSegment(manifest.Version))
        {
            throw new ScoringException(ScoringError.ManifestInvalid, $"{source}: 'name' and 'version' may hold only letters, digits, '.', '-' and '_'.");
        }
        return manifest;
    }

    private static void Require(string? value, string field, string source)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ScoringException(ScoringError.ManifestInvalid, $"{source}: '{field}' is required.");
        }
    }
}
