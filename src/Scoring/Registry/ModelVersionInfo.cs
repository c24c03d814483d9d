using Verdict.Scoring.Packages;

namespace Verdict.Scoring.Registry;

/// <summary>A published model version, as listed by the registry.</summary>
/// <param name="Name">The model's name.</param>
/// <param name="Version">The version.</param>
/// <param name="Manifest">Its manifest.</param>
public sealed record ModelVersionInfo(string Name, string Version, ModelManifest Manifest)
{
    /// <summary>The reference <c>name@version</c>.</summary>
    public ModelReference Reference => new(Name, Version);
}
