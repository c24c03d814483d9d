using Azure.Storage.Queues;
using Verdict.Scoring.Hosting;

namespace Verdict.Cli;

/// <summary>
/// The <c>--storage</c> value every command takes: a connection string (it has <c>=</c> in it), or the name
/// of a storage account to reach with the user's Azure sign-in (<c>az login</c>), which is how a deployed
/// account with shared keys off is reached.
/// </summary>
internal static class CliStorage
{
    public const string Variable = "VERDICT_STORAGE_CONNECTION_STRING";

    public const string Description = $"A storage connection string, or an account name reached with your Azure sign-in (default: ${Variable}).";

    /// <summary>The account <paramref name="value"/> (else the environment variable) names; <see langword="null"/> when neither is set.</summary>
    public static StorageAccount? TryResolve(string? value)
    {
        value ??= Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        var setting = new StorageSetting("--storage", value);
        try
        {
            return StorageAccount.Resolve(value.Contains('=', StringComparison.Ordinal)
                ? new StorageSettings { ConnectionString = setting }
                : new StorageSettings { AccountName = setting });
        }
        catch (InvalidOperationException ex)
        {
            throw new CliException(ex.Message);
        }
    }

    /// <summary>The account, or a message saying what is missing for <paramref name="purpose"/>.</summary>
    public static StorageAccount Resolve(string? value, string purpose) =>
        TryResolve(value) ?? throw new CliException($"say where {purpose}: --storage CONNECTION_STRING_OR_ACCOUNT or ${Variable}.");

    /// <summary>A queue of the account, messages in Base64 as the Functions host reads them.</summary>
    public static QueueClient Queue(StorageAccount account, string name)
    {
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        return account.Credential is null
            ? new QueueClient(account.ConnectionString, name, options)
            : new QueueClient(account.QueueUri(name), account.Credential, options);
    }
}
