namespace Verdict.Scoring;

/// <summary>What went wrong with a model package, a registry or the runtime.</summary>
public enum ScoringError
{
    /// <summary>A file the manifest names (or the manifest itself) is not in the package.</summary>
    PackageFileMissing,
    /// <summary><c>manifest.json</c> is not valid JSON or lacks a required field.</summary>
    ManifestInvalid,
    /// <summary>The SHA-256 of <c>model.onnx</c> differs from the manifest's.</summary>
    ChecksumMismatch,
    /// <summary>The labels in the manifest do not match the model's output shape.</summary>
    LabelsShapeMismatch,
    /// <summary>The manifest names a featurizer this version of Verdict does not know.</summary>
    UnknownFeaturizer,
    /// <summary>A <c>wordpiece</c> featurizer names a vocabulary that is missing or empty.</summary>
    VocabularyMissing,
    /// <summary>The ONNX file cannot be loaded, or lacks an input or output the manifest names.</summary>
    ModelInvalid,
    /// <summary>No model, or no such version, is in the registry.</summary>
    ModelNotFound,
    /// <summary>A version with that name already exists; published versions are immutable.</summary>
    VersionExists,
    /// <summary>A model reference is not of the form <c>name</c> or <c>name@version</c>.</summary>
    InvalidReference,
    /// <summary>The configured execution provider is not available in this ONNX Runtime build.</summary>
    ExecutionProviderUnavailable,
    /// <summary>The input to score is not acceptable (for example, a batch over the limit).</summary>
    InvalidInput,
}
