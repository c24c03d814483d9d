using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Verdict.Scoring;
using Verdict.Scoring.Hosting;
using Verdict.TestUtilities;

namespace Verdict.ScoringService.Tests;

/// <summary>A folder registry holding replies@1.</summary>
public sealed class RegistryFixture : IAsyncLifetime
{
    public TempDirectory Folder { get; } = new();

    public async Task InitializeAsync()
    {
        using var runtime = ScoringRuntime.Create(new ScoringOptions { LocalPath = Folder.Combine("registry") });
        await runtime.Registry.PublishAsync(TestModels.CopyLinear(Folder.Combine("package"), "1"));
    }

    public Task DisposeAsync()
    {
        Folder.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class ScoringServiceTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private WebApplicationFactory<Program> App() => new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
    {
        b.UseSetting("Scoring:LocalPath", registry.Folder.Combine("registry"));
        b.UseSetting("ScoringService:MaxTextsPerRequest", "16");
    });

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Health_AndModels_SayWhatRunsWhere()
    {
        using var app = App();
        using var client = app.CreateClient();

        var health = JsonDocument.Parse(await client.GetStringAsync("/health")).RootElement;
        var models = JsonDocument.Parse(await client.GetStringAsync("/models")).RootElement;

        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal("cpu", health.GetProperty("executionProvider").GetString());
        var model = Assert.Single(models.EnumerateArray());
        Assert.Equal("replies@1", model.GetProperty("model").GetString());
    }

    [Fact]
    public async Task ScoreBatch_AnswersEachTextInOrder_EvenWhenConcurrentRequestsShareBatches()
    {
        using var app = App();
        using var client = app.CreateClient();
        string[] texts = ["Yes, let's talk Thursday", "Remove me from this list", "Too expensive for us"];

        var single = JsonDocument.Parse(await (await client.PostAsync("/score/batch", Json(JsonSerializer.Serialize(new { model = "replies@1", texts })))).Content.ReadAsStringAsync()).RootElement;
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 24).Select(async i =>
        {
            var response = await client.PostAsync("/score/batch", Json(JsonSerializer.Serialize(new { model = "replies@1", texts = new[] { texts[i % 3] } })));
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("results")[0].GetProperty("intent").GetString();
        }));

        Assert.Equal("replies@1", single.GetProperty("model").GetString());
        var results = single.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(3, results.Count);
        Assert.All(results, r => Assert.Equal(1.0, r.GetProperty("probabilities").EnumerateObject().Sum(p => p.Value.GetDouble()), 3));
        var intents = results.Select(r => r.GetProperty("intent").GetString()).ToList();
        Assert.Equal(Enumerable.Range(0, 24).Select(i => intents[i % 3]), concurrent);
    }

    [Theory]
    [InlineData("""{"texts":["a"]}""", "model", HttpStatusCode.BadRequest)]
    [InlineData("""{"model":"replies@1"}""", "texts", HttpStatusCode.BadRequest)]
    [InlineData("""{"model":"replies@1","texts":[1]}""", "texts[0]", HttpStatusCode.BadRequest)]
    [InlineData("""{"model":"ghost@1","texts":["a"]}""", "model", HttpStatusCode.NotFound)]
    [InlineData("""{"model":"replies@1","texts":["a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a"]}""", "texts", HttpStatusCode.RequestEntityTooLarge)]
    [InlineData("""not json""", "$", HttpStatusCode.BadRequest)]
    public async Task BadRequests_GetProblemDetailsNamingTheField(string body, string field, HttpStatusCode status)
    {
        using var app = App();
        using var client = app.CreateClient();

        var response = await client.PostAsync("/score/batch", Json(body));

        Assert.Equal(status, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), await response.Content.ReadAsStringAsync());
    }
}
