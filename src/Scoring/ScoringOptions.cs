using System.ComponentModel.DataAnnotations;

namespace Verdict.Scoring;

/// <summary>Settings of the scoring library (configuration section <c>Scoring</c>).</summary>
public sealed class ScoringOptions : IValidatableObject
{
    /// <summary>A local folder holding <c>{name}/{version}/</c> model packages. Used when <see cref="BlobConnectionString"/> is not set.</summary>
    public string? LocalPath { get; set; }

    /// <summary>An Azure Storage connection string; when set, packages are read from <see cref="BlobContainer"/>.</summary>
    public string? BlobConnectionString { get; set; }

    /// <summary>The Blob container of model packages.</summary>
    [Required]
    public string BlobContainer { get; set; } = "models";

    /// <summary>Where ONNX Runtime runs: <c>cpu</c>, <c>cuda</c> or <c>cuda-or-cpu</c>.</summary>
    public ExecutionProviderKind ExecutionProvider { get; set; } = ExecutionProviderKind.Cpu;

    /// <summary>Threads ONNX Runtime uses inside one call. 1 suits serving, where requests run in parallel.</summary>
    [Range(1, 64)]
    public int IntraOpNumThreads { get; set; } = 1;

    /// <summary>How long the newest version of a model is remembered before the registry looks again.</summary>
    public TimeSpan LatestVersionRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The most texts one batch call may score.</summary>
    [Range(1, 100_000)]
    public int MaxBatchSize { get; set; } = 256;

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(LocalPath) && string.IsNullOrWhiteSpace(BlobConnectionString))
        {
            yield return new ValidationResult(
                "Set Scoring:LocalPath (a folder of model packages) or Scoring:BlobConnectionString.",
                [nameof(LocalPath), nameof(BlobConnectionString)]);
        }
        if (LatestVersionRefreshInterval < TimeSpan.Zero)
        {
            yield return new ValidationResult("Scoring:LatestVersionRefreshInterval must not be negative.", [nameof(LatestVersionRefreshInterval)]);
        }
    }
}
