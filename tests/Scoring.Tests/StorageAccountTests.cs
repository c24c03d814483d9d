using Azure.Identity;
using Verdict.Scoring.Hosting;
using Verdict.TestUtilities;

namespace Verdict.Scoring.Tests;

public sealed class StorageAccountTests
{
    private static StorageSetting Set(string name, string? value) => new(name, value);

    [Fact]
    public void NothingSet_ResolvesToNone_AndAClientIdAloneIsNotAWayToReachStorage()
    {
        Assert.Null(StorageAccount.Resolve(new StorageSettings()));
        Assert.Null(StorageAccount.Resolve(new StorageSettings { ClientId = Set("X:ClientId", "abc"), AccountName = Set("X:AccountName", " ") }));
    }

    [Fact]
    public void AConnectionString_IsUsedAsIs_WithoutAToken()
    {
        var account = StorageAccount.Resolve(new StorageSettings { ConnectionString = Set("X:Conn", "UseDevelopmentStorage=true") })!;

        Assert.Equal("UseDevelopmentStorage=true", account.ConnectionString);
        Assert.Null(account.Credential);
        Assert.Equal("devstoreaccount1", account.AccountName);
        Assert.Throws<InvalidOperationException>(() => account.QueueUri("q"));
    }

    [Fact]
    public void AnAccountName_IsReachedWithTokens_AtThePublicEndpoints()
    {
        var account = StorageAccount.Resolve(new StorageSettings { AccountName = Set("X:AccountName", "verdictprod01") }, FakeManagedIdentity.Credential)!;

        Assert.Null(account.ConnectionString);
        Assert.Same(FakeManagedIdentity.Credential, account.Credential);
        Assert.Equal(new Uri("https://verdictprod01.blob.core.windows.net/models"), account.Container("models").Uri);
        Assert.Equal(new Uri("https://verdictprod01.queue.core.windows.net/score-requests"), account.QueueUri("score-requests"));
    }

    [Fact]
    public void WithoutAGivenCredential_TheSystemIdentityOrSignInIsUsed_AndAClientIdPicksThatUserAssignedIdentity()
    {
        var system = StorageAccount.Resolve(new StorageSettings { AccountName = Set("n", "acct001") })!;
        var user = StorageAccount.Resolve(new StorageSettings { AccountName = Set("n", "acct001"), ClientId = Set("c", "11111111-2222-3333-4444-555555555555") })!;

        Assert.IsType<DefaultAzureCredential>(system.Credential);
        Assert.IsType<ManagedIdentityCredential>(user.Credential);
    }

    [Fact]
    public void ServiceUris_KeepTheirPath_AndTheQueueUriIsOptional()
    {
        var account = StorageAccount.Resolve(new StorageSettings
        {
            BlobServiceUri = Set("X:Blob", "https://127.0.0.1:10000/devstoreaccount1"),
            QueueServiceUri = Set("X:Queue", "https://127.0.0.1:10001/devstoreaccount1/"),
        }, FakeManagedIdentity.Credential)!;
        var blobOnly = StorageAccount.Resolve(new StorageSettings { BlobServiceUri = Set("X:Blob", "https://example.blob.core.usgovcloudapi.net") }, FakeManagedIdentity.Credential)!;

        Assert.Equal(new Uri("https://127.0.0.1:10000/devstoreaccount1/events"), account.Container("events").Uri);
        Assert.Equal(new Uri("https://127.0.0.1:10001/devstoreaccount1/outcomes-poison"), account.QueueUri("outcomes-poison"));
        Assert.Null(blobOnly.QueueServiceUri);
    }

    [Theory]
    [InlineData("conn", "UseDevelopmentStorage=true", "name", "acct001", "Set one way to reach storage, not several: conn, name.")]
    [InlineData("name", "Not_An-Account", null, null, "name 'Not_An-Account' is not a storage account name")]
    [InlineData("blob", "http://127.0.0.1:10000/devstoreaccount1", null, null, "blob 'http://127.0.0.1:10000/devstoreaccount1' is not an absolute https:// URL")]
    [InlineData("queue", "https://q.example/acct", null, null, "blob is required with a service URI.")]
    [InlineData("conn", "this is not a connection string=", null, null, "conn is not a valid storage connection string.")]
    public void BadOrContradictorySettings_AreRefused_NamingTheSetting(string first, string firstValue, string? second, string? secondValue, string message)
    {
        var settings = new StorageSettings { BlobServiceUri = Set("blob", null) };
        settings = Apply(Apply(settings, first, firstValue), second, secondValue);

        var error = Assert.Throws<InvalidOperationException>(() => StorageAccount.Resolve(settings, FakeManagedIdentity.Credential));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private static StorageSettings Apply(StorageSettings settings, string? name, string? value) => name switch
    {
        "conn" => settings with { ConnectionString = Set(name, value) },
        "name" => settings with { AccountName = Set(name, value) },
        "blob" => settings with { BlobServiceUri = Set(name, value) },
        "queue" => settings with { QueueServiceUri = Set(name, value) },
        _ => settings,
    };

    [Fact]
    public void TokensAreNeverSentInClear()
    {
        Assert.Throws<ArgumentException>(() => StorageAccount.FromIdentity(new Uri("http://acct.blob.core.windows.net"), null, FakeManagedIdentity.Credential));
        Assert.Throws<ArgumentException>(() => StorageAccount.FromIdentity(new Uri("https://acct.blob.core.windows.net"), new Uri("http://acct.queue.core.windows.net"), FakeManagedIdentity.Credential));
    }
}
