namespace Verdict.Scoring.Registry;

/// <summary>The versioned model packages Verdict serves.</summary>
public interface IModelRegistry
{
    /// <summary>Every published version, newest first within each model.</summary>
    Task<IReadOnlyList<ModelVersionInfo>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Verifies the package in <paramref name="packageDirectory"/> (manifest, checksum, featurizer,
    /// that ONNX Runtime loads it and its output matches its labels) and publishes it. The version is
    /// servable at once in this process, and in others within <see cref="ScoringOptions.LatestVersionRefreshInterval"/>.
    /// </summary>
    /// <exception cref="ScoringException">The package is invalid, or the version already exists.</exception>
    Task<ModelVersionInfo> PublishAsync(string packageDirectory, CancellationToken cancellationToken = default);

    /// <summary>The manifest of a version (the newest when the reference names none).</summary>
    /// <exception cref="ScoringException">With <see cref="ScoringError.ModelNotFound"/> or a package error.</exception>
    Task<ModelVersionInfo> GetAsync(ModelReference model, CancellationToken cancellationToken = default);
}
