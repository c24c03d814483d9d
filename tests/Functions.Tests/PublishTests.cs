using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using Verdict.TestUtilities;

namespace Verdict.Functions.Tests;

/// <summary>scripts/publish-functions.sh builds the zip Azure deploys, and the handler in it starts as the host would start it.</summary>
public sealed class PublishTests
{
    private static async Task<(int Code, string Output)> RunAsync(string file, IEnumerable<string> arguments, TimeSpan limit)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(limit);
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await output + await errors);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task PublishedZip_HasTheFunctionsLayoutAndASelfContainedExecutable_ThatServesOnTheHandlerPort()
    {
        using var temp = new TempDirectory();
        string zip = temp.Combine("app.zip");

        var (code, output) = await RunAsync(Path.Combine(RepositoryPaths.Root, "scripts", "publish-functions.sh"), [zip], TimeSpan.FromMinutes(5));

        Assert.True(code == 0, output);
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
        var (unzipped, unzipOutput) = await RunAsync("unzip", ["-q", zip, "-d", app], TimeSpan.FromMinutes(1));
        Assert.True(unzipped == 0, unzipOutput);
        int port = FreePort();
        var start = new ProcessStartInfo(Path.Combine(app, "Verdict.Functions")) { WorkingDirectory = app, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["AzureWebJobsStorage"] = "UseDevelopmentStorage=true";
        start.Environment["DOTNET_ROOT"] = "/nonexistent";
        using var handler = Process.Start(start)!;
        _ = handler.StandardOutput.ReadToEndAsync();
        _ = handler.StandardError.ReadToEndAsync();
        try
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            string? hello = null;
            for (int i = 0; i < 100 && hello is null && !handler.HasExited; i++)
            {
                try
                {
                    hello = await client.GetStringAsync($"http://127.0.0.1:{port}/api/hello");
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(200);
                }
            }
            Assert.Equal("hello", hello);
        }
        finally
        {
            handler.Kill(entireProcessTree: true);
            await handler.WaitForExitAsync();
        }
    }
}
