using System.IO.Compression;
using Verdict.TestUtilities;

namespace Verdict.Functions.Tests;

/// <summary>scripts/publish-functions.sh builds the zip Azure deploys, and the handler in it starts as the host would start it.</summary>
public sealed class PublishTests
{
    [Fact]
    public async Task PublishedZip_HasTheFunctionsLayoutAndASelfContainedExecutable_ThatServesOnTheHandlerPort()
    {
        using var temp = new TempDirectory();
        string zip = temp.Combine("app.zip");

        var (code, stdout, stderr) = await TestProcess.RunAsync(Path.Combine(RepositoryPaths.Root, "scripts", "publish-functions.sh"), [zip], TimeSpan.FromMinutes(5));

        Assert.True(code == 0, stdout + stderr);
        using (var archive = ZipFile.OpenRead(zip))
        {
            var entries = archive.Entries.ToDictionary(e => e.FullName, StringComparer.Ordinal);
            Assert.Contains("host.json", entries.Keys);
            foreach (string? function in Directory.GetDirectories(AppContext.BaseDirectory).Where(d => File.Exists(Path.Combine(d, "function.json"))).Select(Path.GetFileName))
            {
                Assert.Contains($"{function}/function.json", entries.Keys);
            }
            Assert.Contains("libcoreclr.so", entries.Keys);
            Assert.Contains("libonnxruntime.so", entries.Keys);
            int mode = (entries["Verdict.Functions"].ExternalAttributes >> 16) & 0x1FF;
            Assert.True((mode & 0x49) == 0x49, $"Verdict.Functions has mode {Convert.ToString(mode, 8)}; the host needs it executable");
        }

        string app = temp.Combine("wwwroot");
        var (unzipped, _, unzipErrors) = await TestProcess.RunAsync("unzip", ["-q", zip, "-d", app], TimeSpan.FromMinutes(1));
        Assert.True(unzipped == 0, unzipErrors);
        int port = TestProcess.FreePort();
        using var handler = TestProcess.StartServer(Path.Combine(app, "Verdict.Functions"), [], new Dictionary<string, string>
        {
            ["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["DOTNET_ROOT"] = "/nonexistent",
        }, workingDirectory: app);
        try
        {
            Assert.Equal("hello", await TestProcess.WaitForHttpAsync($"http://127.0.0.1:{port}/api/hello", handler));
        }
        finally
        {
            handler.Kill(entireProcessTree: true);
            await handler.WaitForExitAsync();
        }
    }
}
