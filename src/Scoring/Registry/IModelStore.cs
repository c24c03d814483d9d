namespace Verdict.Scoring.Registry;

/// <summary>Where model packages live: <c>{name}/{version}/{file}</c> in a folder or a Blob container.</summary>
internal interface IModelStore
{
    /// <summary>Says where the store is, for messages.</summary>
    string Description { get; }

    /// <summary>Names of models with at least one published version.</summary>
    Task<IReadOnlyList<string>> ListModelsAsync(CancellationToken cancellationToken);

    /// <summary>Versions of a model whose manifest is present (a version is published once its manifest is).</summary>
    Task<IReadOnlyList<string>> ListVersionsAsync(string name, CancellationToken cancellationToken);

    /// <summary>A file of a version, or null when it is not there.</summary>
    Task<byte[]?> ReadFileAsync(string name, string version, string file, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a new version, in order, the manifest last. Throws <see cref="ScoringError.VersionExists"/>
    /// when the version is already published; versions are immutable.
    /// </summary>
    Task WriteVersionAsync(string name, string version, IEnumerable<KeyValuePair<string, byte[]>> files, CancellationToken cancellationToken);
}
