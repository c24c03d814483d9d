using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;

namespace Verdict.Scoring.Hosting;

/// <summary>
/// Where Verdict's storage account is and how to reach it: with a connection string (Azurite, or an
/// account that allows shared keys), or with Microsoft Entra ID tokens — the app's managed identity in
/// Azure, where the deployment disables shared keys and no secret sits in the settings.
/// </summary>
public sealed class StorageAccount
{
    private StorageAccount(string? connectionString, BlobServiceClient blobs, Uri? queueServiceUri, TokenCredential? credential)
    {
        ConnectionString = connectionString;
        Blobs = blobs;
        QueueServiceUri = queueServiceUri;
        Credential = credential;
    }

    /// <summary>The connection string, when the account is reached with one; otherwise <see langword="null"/>.</summary>
    public string? ConnectionString { get; }

    /// <summary>The token credential, when the account is reached with Entra ID; otherwise <see langword="null"/>.</summary>
    public TokenCredential? Credential { get; }

    /// <summary>The Queue service endpoint when the account is reached with Entra ID (with a connection string, the string names it).</summary>
    public Uri? QueueServiceUri { get; }

    /// <summary>The Blob service, for containers of models, experiments and events.</summary>
    public BlobServiceClient Blobs { get; }

    /// <summary>The account's name (for logs: it is not a secret).</summary>
    public string AccountName => Blobs.AccountName;

    /// <summary>The address of queue <paramref name="name"/> on <see cref="QueueServiceUri"/> (Entra ID accounts only).</summary>
    /// <exception cref="InvalidOperationException">The account is reached with a connection string, or names no queue service.</exception>
    public Uri QueueUri(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var service = QueueServiceUri ?? throw new InvalidOperationException("This storage account has no queue service URI.");
        var builder = new UriBuilder(service);
        builder.Path = builder.Path.TrimEnd('/') + "/" + Uri.EscapeDataString(name);
        return builder.Uri;
    }

    /// <summary>A client for one Blob container.</summary>
    public BlobContainerClient Container(string name) => Blobs.GetBlobContainerClient(name);

    /// <summary>An account reached with a connection string.</summary>
    /// <exception cref="ArgumentException">The connection string cannot be parsed.</exception>
    public static StorageAccount FromConnectionString(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        BlobServiceClient blobs;
        try
        {
            blobs = new BlobServiceClient(connectionString);
        }
        catch (FormatException ex)
        {
            throw new ArgumentException("The storage connection string cannot be parsed.", nameof(connectionString), ex);
        }
        return new StorageAccount(connectionString, blobs, queueServiceUri: null, credential: null);
    }

    /// <summary>
    /// An account reached with Entra ID tokens from <paramref name="credential"/> at the given endpoints
    /// (HTTPS only: tokens are never sent in clear). <paramref name="queueServiceUri"/> may be left out by
    /// a program that uses no queues. <paramref name="blobOptions"/> tunes the Blob clients (retries, transport).
    /// </summary>
    /// <exception cref="ArgumentException">An endpoint is not an absolute HTTPS URL.</exception>
    public static StorageAccount FromIdentity(Uri blobServiceUri, Uri? queueServiceUri, TokenCredential credential, BlobClientOptions? blobOptions = null)
    {
        ArgumentNullException.ThrowIfNull(credential);
        RequireHttps(blobServiceUri, nameof(blobServiceUri));
        if (queueServiceUri is not null)
        {
            RequireHttps(queueServiceUri, nameof(queueServiceUri));
        }
        return new StorageAccount(null, new BlobServiceClient(blobServiceUri, credential, blobOptions), queueServiceUri, credential);
    }

    /// <summary>
    /// Resolves the settings an app is given, by name as they appear in configuration (the names
    /// are used in error messages). Exactly one way must be set: a connection string, an account name
    /// (public Azure endpoints), or Blob and Queue service URIs (other clouds, or a local emulator with
    /// OAuth). With an account name or URIs, tokens come from <paramref name="credential"/> when given,
    /// else from the user-assigned managed identity <see cref="StorageSettings.ClientId"/> names, else from
    /// <see cref="DefaultAzureCredential"/> (a managed identity in Azure, the developer's sign-in locally).
    /// Returns <see langword="null"/> when nothing is set.
    /// </summary>
    /// <exception cref="InvalidOperationException">The settings are contradictory or malformed; the message names the setting.</exception>
    public static StorageAccount? Resolve(StorageSettings settings, TokenCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.IsEmpty)
        {
            return null;
        }
        bool hasConnection = !string.IsNullOrWhiteSpace(settings.ConnectionString.Value);
        bool hasName = !string.IsNullOrWhiteSpace(settings.AccountName.Value);
        bool hasUris = !string.IsNullOrWhiteSpace(settings.BlobServiceUri.Value) || !string.IsNullOrWhiteSpace(settings.QueueServiceUri.Value);
        if ((hasConnection ? 1 : 0) + (hasName ? 1 : 0) + (hasUris ? 1 : 0) > 1)
        {
            var set = new[] { settings.ConnectionString, settings.AccountName, settings.BlobServiceUri, settings.QueueServiceUri }
                .Where(s => !string.IsNullOrWhiteSpace(s.Value)).Select(s => s.Name);
            throw new InvalidOperationException($"Set one way to reach storage, not several: {string.Join(", ", set)}.");
        }
        if (hasConnection)
        {
            try
            {
                return FromConnectionString(settings.ConnectionString.Value!);
            }
            catch (ArgumentException)
            {
                throw new InvalidOperationException($"{settings.ConnectionString.Name} is not a valid storage connection string.");
            }
        }

        Uri blob;
        Uri? queue;
        if (hasName)
        {
            string name = settings.AccountName.Value!.Trim();
            if (!IsAccountName(name))
            {
                throw new InvalidOperationException($"{settings.AccountName.Name} '{name}' is not a storage account name (3 to 24 lower-case letters and digits).");
            }
            blob = new Uri($"https://{name}.blob.core.windows.net/");
            queue = new Uri($"https://{name}.queue.core.windows.net/");
        }
        else
        {
            blob = ServiceUri(settings.BlobServiceUri)!;
            queue = ServiceUri(settings.QueueServiceUri, required: false);
        }
        credential ??= string.IsNullOrWhiteSpace(settings.ClientId.Value)
            ? new DefaultAzureCredential(new DefaultAzureCredentialOptions { ExcludeInteractiveBrowserCredential = true })
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(settings.ClientId.Value.Trim()));
        return FromIdentity(blob, queue, credential);
    }

    private static Uri? ServiceUri(StorageSetting setting, bool required = true)
    {
        if (string.IsNullOrWhiteSpace(setting.Value))
        {
            return required ? throw new InvalidOperationException($"{setting.Name} is required with a service URI.") : null;
        }
        if (!Uri.TryCreate(setting.Value.Trim(), UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new InvalidOperationException($"{setting.Name} '{setting.Value}' is not an absolute https:// URL (tokens are never sent over plain HTTP).");
        }
        return uri;
    }

    private static void RequireHttps(Uri uri, string parameter)
    {
        ArgumentNullException.ThrowIfNull(uri, parameter);
        if (!uri.IsAbsoluteUri || uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"'{uri}' is not an absolute https:// URL.", parameter);
        }
    }

    private static bool IsAccountName(string name) =>
        name.Length is >= 3 and <= 24 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9'));
}

/// <summary>One storage setting: its name in configuration (for messages) and its value.</summary>
public readonly record struct StorageSetting(string Name, string? Value);

/// <summary>The settings <see cref="StorageAccount.Resolve"/> reads, each with the name it has in configuration.</summary>
public sealed record StorageSettings
{
    /// <summary>A connection string.</summary>
    public StorageSetting ConnectionString { get; init; }

    /// <summary>An account name in public Azure, reached with Entra ID.</summary>
    public StorageSetting AccountName { get; init; }

    /// <summary>The Blob service URI, reached with Entra ID.</summary>
    public StorageSetting BlobServiceUri { get; init; }

    /// <summary>The Queue service URI, reached with Entra ID (needed only by programs that use queues).</summary>
    public StorageSetting QueueServiceUri { get; init; }

    /// <summary>The client id of a user-assigned managed identity; unset means the system-assigned one (or the developer's sign-in).</summary>
    public StorageSetting ClientId { get; init; }

    /// <summary>Whether no way to reach storage is set (a client id alone is not one).</summary>
    internal bool IsEmpty => new[] { ConnectionString, AccountName, BlobServiceUri, QueueServiceUri }.All(s => string.IsNullOrWhiteSpace(s.Value));
}
