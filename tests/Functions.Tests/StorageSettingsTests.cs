using Microsoft.Extensions.Configuration;
using Verdict.TestUtilities;

namespace Verdict.Functions.Tests;

/// <summary>Which storage the app uses: its own settings, then VERDICT_STORAGE_CONNECTION_STRING, then the Functions host's AzureWebJobsStorage.</summary>
public sealed class StorageSettingsTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private static FunctionsOptions Bound(IConfiguration configuration)
    {
        var options = new FunctionsOptions();
        configuration.GetSection("Verdict").Bind(options);
        return options;
    }

    [Fact]
    public void TheAppsOwnSetting_WinsOverTheEnvironmentAndTheHost()
    {
        var configuration = Configuration(
            ("Verdict:StorageAccountName", "verdictown"),
            ("VERDICT_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true"),
            ("AzureWebJobsStorage:accountName", "hostaccount"));

        var account = Bound(configuration).ResolveStorage(configuration, FakeManagedIdentity.Credential);

        Assert.Equal("verdictown", account.AccountName);
        Assert.NotNull(account.Credential);
    }

    [Fact]
    public void WithoutOwnSettings_TheEnvironmentsConnectionString_ThenTheHostsIdentityConnection_IsUsed()
    {
        var withVariable = Configuration(("VERDICT_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true"), ("AzureWebJobsStorage:accountName", "hostaccount"));
        var hostOnly = Configuration(("AzureWebJobsStorage:accountName", "hostaccount"), ("AzureWebJobsStorage:credential", "managedidentity"));

        var fromVariable = Bound(withVariable).ResolveStorage(withVariable, FakeManagedIdentity.Credential);
        var fromHost = Bound(hostOnly).ResolveStorage(hostOnly, FakeManagedIdentity.Credential);

        Assert.Equal("UseDevelopmentStorage=true", fromVariable.ConnectionString);
        Assert.Equal(new Uri("https://hostaccount.queue.core.windows.net/replies"), fromHost.QueueUri("replies"));
    }

    [Fact]
    public void NoStorage_OrABlobUriWithoutAQueueUri_IsRefusedAtStartUp_NamingTheSettings()
    {
        var none = Configuration();
        var blobOnly = Configuration(("Verdict:StorageBlobServiceUri", "https://acct.blob.core.windows.net"));

        var missing = Assert.Throws<InvalidOperationException>(() => Bound(none).ResolveStorage(none));
        var noQueue = Assert.Throws<InvalidOperationException>(() => Bound(blobOnly).ResolveStorage(blobOnly, FakeManagedIdentity.Credential));

        Assert.Contains("Verdict:StorageConnectionString, Verdict:StorageAccountName", missing.Message, StringComparison.Ordinal);
        Assert.Contains("Verdict:StorageQueueServiceUri is required", noQueue.Message, StringComparison.Ordinal);
    }
}
