using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Verdict.Functions.Tests;

/// <summary>
/// Models whose manifest says <c>target: gpu</c> (replies@3, the challenger of exp-gpu) are scored by the GPU
/// service; when it is down, slower than the timeout or failing, the control's model answers within the
/// latency budget and the exposure is marked as a fallback; the circuit opens, then closes once the service
/// is back.
/// </summary>
public sealed class GpuFallbackTests(FunctionsFixture fixture) : IClassFixture<FunctionsFixture>
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(1.5);

    public enum Mode
    {
        Up,
        Down,
        Slow,
        Failing,
    }

    /// <summary>The GPU service as the app's HTTP client sees it.</summary>
    private sealed class StubGpu : HttpMessageHandler
    {
        private int _calls;

        public Mode Mode { get; set; }

        public int Calls => Volatile.Read(ref _calls);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            switch (Mode)
            {
                case Mode.Down:
                    throw new HttpRequestException("connection refused");
                case Mode.Slow:
                    await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken);
                    break;
                case Mode.Failing:
                    return new HttpResponseMessage(HttpStatusCode.InternalServerError);
            }
            const string Body = """{"model":"replies@3","results":[{"intent":"positive","confidence":0.97,"probabilities":{"positive":0.97,"objection":0.03}}]}""";
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(Body, Encoding.UTF8, "application/json") };
        }
    }

    private WebApplicationFactory<Program> App(string log, StubGpu stub) =>
        fixture.App(log, settings: new Dictionary<string, string>
        {
            ["Verdict:ScoringServiceUrl"] = "http://gpu.test",
            ["Verdict:GpuTimeout"] = "00:00:00.400",
            ["Verdict:GpuBreakDuration"] = "00:00:01",
        }).WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddHttpClient<GpuScoringClient>().ConfigurePrimaryHttpMessageHandler(() => stub)));

    /// <summary>Scores emails of distinct units until <paramref name="count"/> land on the challenger; returns those answers.</summary>
    private static async Task<List<(JsonElement Answer, TimeSpan Took)>> ChallengerEmailsAsync(HttpClient client, string prefix, int count)
    {
        var answers = new List<(JsonElement, TimeSpan)>();
        for (int i = 0; answers.Count < count && i < 200; i++)
        {
            var clock = Stopwatch.StartNew();
            var response = await client.PostAsync("/api/score", new StringContent(
                $$"""{"id":"{{prefix}}-{{i}}","unit":"{{prefix}}-u{{i}}","experiment":"exp-gpu","body":"Happy to chat next week"}""", Encoding.UTF8, "application/json"));
            var took = clock.Elapsed;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            if (answer.GetProperty("arm").GetString() == "challenger")
            {
                answers.Add((answer, took));
            }
        }
        Assert.Equal(count, answers.Count);
        return answers;
    }

    [Fact]
    public async Task ServiceUp_TheGpuModelAnswers_AndNothingIsMarked()
    {
        var stub = new StubGpu { Mode = Mode.Up };
        using var app = App("log-gpu-up", stub);
        using var client = app.CreateClient();

        var answers = await ChallengerEmailsAsync(client, "up", 3);

        Assert.All(answers, a => Assert.Equal("replies@3", a.Answer.GetProperty("model").GetString()));
        Assert.True(stub.Calls >= 3);
        var scored = (await fixture.LogAsync("log-gpu-up")).Where(e => e.GetProperty("arm").GetString() == "challenger").ToList();
        Assert.Equal(3, scored.Count);
        Assert.All(scored, e => Assert.False(e.TryGetProperty("fallback", out _)));
    }

    [Theory]
    [InlineData(Mode.Down)]
    [InlineData(Mode.Slow)]
    [InlineData(Mode.Failing)]
    public async Task ServiceUnavailable_TheControlsModelAnswersWithinTheBudget_AndTheExposureIsMarked(Mode mode)
    {
        var stub = new StubGpu { Mode = mode };
        string log = $"log-gpu-{mode.ToString().ToLowerInvariant()}";
        using var app = App(log, stub);
        using var client = app.CreateClient();

        var answers = await ChallengerEmailsAsync(client, mode.ToString(), 3);

        Assert.All(answers, a =>
        {
            Assert.Equal("replies@1", a.Answer.GetProperty("model").GetString());
            Assert.True(a.Took < Budget, $"answered in {a.Took}");
        });
        var scored = (await fixture.LogAsync(log)).Where(e => e.GetProperty("arm").GetString() == "challenger").ToList();
        Assert.Equal(3, scored.Count);
        Assert.All(scored, e =>
        {
            Assert.True(e.GetProperty("fallback").GetBoolean());
            Assert.Equal("replies@1", e.GetProperty("model").GetString());
        });
    }

    [Fact]
    public async Task AFailingService_OpensTheCircuit_WhichClosesOnceTheServiceRecovers()
    {
        var stub = new StubGpu { Mode = Mode.Failing };
        using var app = App("log-gpu-circuit", stub);
        using var client = app.CreateClient();

        await ChallengerEmailsAsync(client, "trip", 4);
        int whenOpen = stub.Calls;
        var whileOpen = await ChallengerEmailsAsync(client, "open", 3);
        int afterOpen = stub.Calls;
        stub.Mode = Mode.Up;
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var recovered = await ChallengerEmailsAsync(client, "closed", 3);

        Assert.Equal(whenOpen, afterOpen);
        Assert.All(whileOpen, a => Assert.Equal("replies@1", a.Answer.GetProperty("model").GetString()));
        Assert.All(recovered, a => Assert.Equal("replies@3", a.Answer.GetProperty("model").GetString()));
        Assert.True(stub.Calls > afterOpen);
    }
}
