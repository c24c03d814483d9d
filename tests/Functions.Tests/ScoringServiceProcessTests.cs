using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Verdict.TestUtilities;

namespace Verdict.Functions.Tests;

/// <summary>
/// The Functions app against the real scoring service, run on the CPU as a separate process (as locally): the
/// GPU model is scored there; once the process is gone, the control's model answers and the exposure is
/// marked as a fallback.
/// </summary>
public sealed class ScoringServiceProcessTests(FunctionsFixture fixture) : IClassFixture<FunctionsFixture>
{
    private static string ServiceDll()
    {
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        string dll = Path.Combine(RepositoryPaths.Root, "src", "ScoringService", "bin", configuration, "net10.0", "linux-x64", "Verdict.ScoringService.dll");
        Assert.True(File.Exists(dll), $"{dll} is not built");
        return dll;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task TheServiceScoresTheGpuModel_AndWhenItStops_TheControlsModelAnswersMarkedAsFallback()
    {
        int port = FreePort();
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { ServiceDll(), "--urls", $"http://127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(a);
        }
        start.Environment["Scoring__BlobConnectionString"] = fixture.Azurite.ConnectionString;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        using var service = Process.Start(start)!;
        _ = service.StandardOutput.ReadToEndAsync();
        _ = service.StandardError.ReadToEndAsync();
        try
        {
            using (var probe = new HttpClient())
            {
                bool up = false;
                for (int i = 0; i < 100 && !up && !service.HasExited; i++)
                {
                    try
                    {
                        up = (await probe.GetAsync($"http://127.0.0.1:{port}/health")).IsSuccessStatusCode;
                    }
                    catch (HttpRequestException)
                    {
                        await Task.Delay(100);
                    }
                }
                Assert.True(up, "the scoring service came up");
            }
            using var app = fixture.App("log-gpu-process", settings: new Dictionary<string, string>
            {
                ["Verdict:ScoringServiceUrl"] = $"http://127.0.0.1:{port}",
                ["Verdict:GpuTimeout"] = "00:00:02",
            });
            using var client = app.CreateClient();

            var served = await ChallengerAnswerAsync(client, "proc-up");
            service.Kill(entireProcessTree: true);
            await service.WaitForExitAsync();
            var fellBack = await ChallengerAnswerAsync(client, "proc-down");

            Assert.Equal("replies@3", served.GetProperty("model").GetString());
            Assert.Equal(1.0, served.GetProperty("probabilities").EnumerateObject().Sum(p => p.Value.GetDouble()), 3);
            Assert.Equal("replies@1", fellBack.GetProperty("model").GetString());
            var challenger = (await fixture.LogAsync("log-gpu-process")).Where(e => e.GetProperty("arm").GetString() == "challenger").ToList();
            Assert.Equal(2, challenger.Count);
            Assert.Single(challenger, e => e.TryGetProperty("fallback", out var f) && f.GetBoolean());
        }
        finally
        {
            if (!service.HasExited)
            {
                service.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task<JsonElement> ChallengerAnswerAsync(HttpClient client, string prefix)
    {
        for (int i = 0; i < 100; i++)
        {
            var response = await client.PostAsync("/api/score", new StringContent(
                $$"""{"id":"{{prefix}}-{{i}}","unit":"{{prefix}}-u{{i}}","experiment":"exp-gpu","body":"Send me the pricing please"}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            if (answer.GetProperty("arm").GetString() == "challenger")
            {
                return answer;
            }
        }
        throw new InvalidOperationException("no unit landed on the challenger");
    }
}
