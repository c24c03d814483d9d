using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Verdict.Experimentation.Experiments;
using Verdict.Scoring;
using Verdict.Scoring.Hosting;
using Verdict.TestUtilities;

namespace Verdict.Functions.Tests;

/// <summary>
/// The app as deployed: the storage account has shared keys off and is reached with the app's managed
/// identity. Here Azurite takes bearer tokens over HTTPS, and a managed-identity endpoint on loopback hands
/// the app its tokens, as App Service does; the app is its own process, given service URIs and no key.
/// </summary>
public sealed class IdentityStorageTests
{
    [Fact]
    public async Task WithServiceUrisAndAManagedIdentity_TheAppScoresOverHttpAndFromItsQueue_AndLogsTheExposure()
    {
        using var azurite = AzuriteFixture.WithOAuth();
        using var identity = new FakeManagedIdentity();
        var account = StorageAccount.FromIdentity(azurite.BlobServiceUri, azurite.QueueServiceUri, FakeManagedIdentity.Credential,
            new BlobClientOptions { Transport = azurite.TrustingTransport() });
        using (var temp = new TempDirectory())
        using (var runtime = ScoringRuntime.Create(new ScoringOptions(), account))
        {
            await runtime.Registry.PublishAsync(TestModels.CopyLinear(temp.Combine("p1"), "1"));
            await runtime.Registry.PublishAsync(TestModels.CopyLinear(temp.Combine("p2"), "2"));
        }
        var lifecycle = new ExperimentLifecycle(new ExperimentStore(account.Container(ExperimentStore.DefaultContainer)));
        await lifecycle.CreateAsync(new ExperimentDefinition
        {
            Id = "exp-mi", Seed = "m", Baseline = 0.8, MinimumDetectableEffect = 0.03,
            Arms = [new ArmDefinition("champion", 0.5, "replies@1"), new ArmDefinition("challenger", 0.5, "replies@2")],
        });
        await lifecycle.StartAaAsync("exp-mi");

        int port = TestProcess.FreePort();
        string dll = RepositoryPaths.BuiltProgram("Functions");
        var environment = new Dictionary<string, string>(identity.Environment)
        {
            ["Verdict__StorageBlobServiceUri"] = azurite.BlobServiceUri.ToString(),
            ["Verdict__StorageQueueServiceUri"] = azurite.QueueServiceUri.ToString(),
                        ["Verdict__DurableHttpLogging"] = "true",
            ["SSL_CERT_FILE"] = azurite.CertificatePath!,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        using var app = TestProcess.StartServer("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"], environment, Path.GetDirectoryName(dll));
        try
        {
            Assert.NotNull(await TestProcess.WaitForHttpAsync($"http://127.0.0.1:{port}/api/hello", app));
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var response = await client.PostAsync("/api/score", new StringContent("""{"id":"mi-http","unit":"u-1","experiment":"exp-mi","body":"Send me the pricing please"}""", Encoding.UTF8, "application/json"));
            string answer = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, answer);
            Assert.StartsWith("replies@", JsonDocument.Parse(answer).RootElement.GetProperty("model").GetString(), StringComparison.Ordinal);

            var queueOptions = new QueueClientOptions { Transport = azurite.TrustingTransport(), MessageEncoding = QueueMessageEncoding.Base64 };
            var requests = new QueueClient(new Uri(azurite.QueueServiceUri + "/score-requests"), FakeManagedIdentity.Credential, queueOptions);
            var results = new QueueClient(new Uri(azurite.QueueServiceUri + "/score-results"), FakeManagedIdentity.Credential, queueOptions);
            await requests.CreateIfNotExistsAsync();
            await requests.SendMessageAsync("""{"id":"mi-queue","unit":"u-2","experiment":"exp-mi","body":"No budget this year"}""");
            JsonElement? result = null;
            for (int i = 0; i < 150 && result is null && !app.HasExited; i++)
            {
                if (await results.ExistsAsync() && (await results.ReceiveMessagesAsync(1)).Value is [var message])
                {
                    result = JsonDocument.Parse(message.MessageText).RootElement.Clone();
                }
                else
                {
                    await Task.Delay(200);
                }
            }

            Assert.True(result is not null, "no score-results message within 30 s");
            Assert.Equal("mi-queue", result.Value.GetProperty("scoringId").GetString());
            var logged = new StringBuilder();
            var events = account.Container("events");
            await foreach (var blob in events.GetBlobsAsync())
            {
                logged.Append((await events.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToString());
            }
            Assert.Contains("\"mi-http\"", logged.ToString(), StringComparison.Ordinal);
            Assert.Contains("\"mi-queue\"", logged.ToString(), StringComparison.Ordinal);
            Assert.True(identity.TokensIssued > 0, "the app never asked its managed identity for a token");
        }
        finally
        {
            if (!app.HasExited)
            {
                app.Kill(entireProcessTree: true);
            }
        }
    }
}
