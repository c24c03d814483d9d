using System.IO.Compression;
using System.Text.Json;
using Verdict.TestUtilities;

namespace Verdict.Functions.Tests;

/// <summary>scripts/publish-functions.sh builds the zip Azure deploys: an isolated worker's layout, and the same files serve locally.</summary>
public sealed class PublishTests
{
    [Fact]
    public async Task PublishedZip_HasTheIsolatedWorkerLayout_AndTheSameAppServesLocally()
    {
        using var temp = new TempDirectory();
        string zip = temp.Combine("app.zip");

        var (code, stdout, stderr) = await TestProcess.RunAsync(Path.Combine(RepositoryPaths.Root, "scripts", "publish-functions.sh"), [zip], TimeSpan.FromMinutes(5));

        Assert.True(code == 0, stdout + stderr);
        string app = temp.Combine("wwwroot");
        ZipFile.ExtractToDirectory(zip, app);
        var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(app, "host.json"))).RootElement;
        Assert.False(host.TryGetProperty("customHandler", out _));
        Assert.Equal("dotnet-isolated", JsonDocument.Parse(File.ReadAllText(Path.Combine(app, "worker.config.json"))).RootElement
            .GetProperty("description").GetProperty("language").GetString());
        var functions = JsonDocument.Parse(File.ReadAllText(Path.Combine(app, "functions.metadata"))).RootElement.EnumerateArray()
            .ToDictionary(f => f.GetProperty("name").GetString()!, f => f.GetProperty("bindings").EnumerateArray().First(b => b.GetProperty("direction").GetString() == "In"));
        Assert.Equal(
            ["autopilot", "compact-log", "hello", "outcomes", "queue-outcomes", "queue-replies", "queue-score-requests", "replies", "report", "score", "score-batch", "templates-assign"],
            functions.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["outcomes", "replies", "score-requests"],
            functions.Values.Where(b => b.GetProperty("type").GetString() == "queueTrigger").Select(b => b.GetProperty("queueName").GetString()!).Order(StringComparer.Ordinal));
        Assert.True(File.Exists(Path.Combine(app, "extensions.json")));
        Assert.True(Directory.Exists(Path.Combine(app, ".azurefunctions")), "the worker SDK's function-host support files are in the zip");
        Assert.True(File.Exists(Path.Combine(app, "libonnxruntime.so")));

        int port = TestProcess.FreePort();
        using var local = TestProcess.StartServer("dotnet", [Path.Combine(app, "Verdict.Functions.dll"), "--urls", $"http://127.0.0.1:{port}"], new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["Verdict__LocalQueues"] = "false",
        }, workingDirectory: app);
        try
        {
            Assert.Equal("hello", await TestProcess.WaitForHttpAsync($"http://127.0.0.1:{port}/api/hello", local));
        }
        finally
        {
            local.Kill(entireProcessTree: true);
            await local.WaitForExitAsync();
        }
    }
}
