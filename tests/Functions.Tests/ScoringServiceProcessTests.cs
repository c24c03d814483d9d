using System.Net;
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
    [Fact]
    public async Task TheServiceScoresTheGpuModel_AndWhenItStops_TheControlsModelAnswersMarkedAsFallback()
    {
        int port = TestProcess.FreePort();
        using var service = TestProcess.StartServer("dotnet", [RepositoryPaths.BuiltProgram("ScoringService"), "--urls", $"http://127.0.0.1:{port}"], new Dictionary<string, string>
        {
            ["Scoring__BlobConnectionString"] = fixture.Azurite.ConnectionString,
            ["Logging__LogLevel__Default"] = "Warning",
        });
        try
        {
            Assert.NotNull(await TestProcess.WaitForHttpAsync($"http://127.0.0.1:{port}/health", service));
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
