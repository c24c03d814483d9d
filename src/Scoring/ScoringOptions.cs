using System.ComponentModel.DataAnnotations;
using Verdict.Scoring.Hosting;

namespace Verdict.Scoring;

/// <summary>Settings of the scoring library (configuration section <c>Scoring</c>).</summary>
public sealed class ScoringOptions : IValidatableObject
{
    /// <summary>A local folder holding <c>{name}/{version}/</c> model packages. Used when <see cref="BlobConnectionString"/> is not set.</summary>
    public string? LocalPath { get; set; }

    /// <summary>An Azure Storage connection string; when set, packages are read from <see cref="BlobContainer"/>.</summary>
    public string? BlobConnectionString { get; set; }

    /// <summary>A storage account in public Azure, reached with the managed identity (no key); packages are read from <see cref="BlobContainer"/>.</summary>
    public string? StorageAccountName { get; set; }

    /// <summary>The Blob service URI of an account reached with Entra ID (other clouds, private endpoints).</summary>
    public string? BlobServiceUri { get; set; }

    /// <summary>The client id of a user-assigned managed identity for <see cref="StorageAccountName"/> or <see cref="BlobServiceUri"/>; unset means the system-assigned one.</summary>
    public string? StorageClientId { get; set; }

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

    /// <summary>How long a loaded version may go unused before it is unloaded (default 30 minutes; zero keeps every version loaded).</summary>
    public TimeSpan IdleModelTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The most texts one batch call may score.</summary>
    [Range(1, 100_000)]
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>What <see cref="HasModelSource"/> being false means, for messages.</summary>
    public const string NoModelSourceMessage =
        "Set Scoring:LocalPath (a folder of model packages), Scoring:BlobConnectionString, Scoring:StorageAccountName or Scoring:BlobServiceUri.";

    /// <summary>Whether these options say where model packages are: a folder or a storage account (a host may give the account instead).</summary>
    public bool HasModelSource => !string.IsNullOrWhiteSpace(LocalPath) || !StorageSettings.IsEmpty;

    /// <summary>The storage settings, named as in configuration, for <see cref="StorageAccount.Resolve"/>.</summary>
    internal StorageSettings StorageSettings => new()
    {
        ConnectionString = Setting(nameof(BlobConnectionString), BlobConnectionString),
        AccountName = Setting(nameof(StorageAccountName), StorageAccountName),
        BlobServiceUri = Setting(nameof(BlobServiceUri), BlobServiceUri),
        ClientId = Setting(nameof(StorageClientId), StorageClientId),
    };

    private static StorageSetting Setting(string name, string? value) =>
        new("Scoring:" + name, string.IsNullOrWhiteSpace(value) ? null : value);

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (LatestVersionRefreshInterval < TimeSpan.Zero)
        {
            yield return new ValidationResult("Scoring:LatestVersionRefreshInterval must not be negative.", [nameof(LatestVersionRefreshInterval)]);
        }
        if (IdleModelTimeout < TimeSpan.Zero)
        {
            yield return new ValidationResult("Scoring:IdleModelTimeout must not be negative.", [nameof(IdleModelTimeout)]);
        }
    }
}
