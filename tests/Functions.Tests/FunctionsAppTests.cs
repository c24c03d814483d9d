using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Verdict.Experimentation.Experiments;
using Verdict.Scoring;
using Verdict.Scoring.Hosting;
using Verdict.TestUtilities;

namespace Verdict.Functions.Tests;

/// <summary>Azurite with replies@1 and replies@2 published, a model experiment and a template experiment in their A/B phase.</summary>
public sealed class FunctionsFixture : IAsyncLifetime
{
    public AzuriteFixture Azurite { get; } = new();

    public async Task InitializeAsync()
    {
        using var temp = new TempDirectory();
        using var runtime = ScoringRuntime.Create(new ScoringOptions { BlobConnectionString = Azurite.ConnectionString });
        foreach (string version in new[] { "1", "2" })
        {
            await runtime.Registry.PublishAsync(TestModels.CopyLinear(temp.Combine("p" + version), version));
        }
        await runtime.Registry.PublishAsync(TestModels.CopyLinear(temp.Combine("p3"), "3", "gpu"));
        var lifecycle = new ExperimentLifecycle(new ExperimentStore(new BlobContainerClient(Azurite.ConnectionString, ExperimentStore.DefaultContainer)));
        foreach (var definition in new[]
        {
            new ExperimentDefinition
            {
                Id = "exp-model", Seed = "s", Baseline = 0.8, MinimumDetectableEffect = 0.03,
                Arms = [new ArmDefinition("champion", 0.5, "replies@1"), new ArmDefinition("challenger", 0.5, "replies@2")],
            },
            new ExperimentDefinition
            {
                Id = "exp-gpu", Seed = "g", Baseline = 0.8, MinimumDetectableEffect = 0.03,
                Arms = [new ArmDefinition("champion", 0.5, "replies@1"), new ArmDefinition("challenger", 0.5, "replies@3")],
            },
            new ExperimentDefinition
            {
                Id = "exp-template", Kind = ExperimentKind.Template, Seed = "t", Baseline = 0.1, MinimumDetectableEffect = 0.03,
                Arms = [new ArmDefinition("welcome-a", 0.5, "tpl-a"), new ArmDefinition("welcome-b", 0.5, "tpl-b")],
            },
        })
        {
            await lifecycle.CreateAsync(definition);
            await lifecycle.StartAaAsync(definition.Id);
            await lifecycle.StartAbAsync(definition.Id, null, "tests");
        }
    }

    public Task DisposeAsync()
    {
        Azurite.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>The app on this Azurite, logging to <paramref name="eventContainer"/>; its queue listeners stay off unless a setting turns them on.</summary>
    public WebApplicationFactory<Program> App(string eventContainer, string? apiKey = null, IReadOnlyDictionary<string, string>? settings = null) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("Verdict:LocalQueues", "false");
            b.UseSetting("Verdict:DurableHttpLogging", "true");
            b.UseSetting("Verdict:StorageConnectionString", Azurite.ConnectionString);
            b.UseSetting("Verdict:DefaultModel", "replies@1");
            b.UseSetting("Verdict:EventContainer", eventContainer);
            b.UseSetting("Verdict:MaxEmailChars", "2000");
            b.UseSetting("Verdict:MaxBatch", "8");
            if (apiKey is not null)
            {
                b.UseSetting("Verdict:ApiKey", apiKey);
            }
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                b.UseSetting(key, value);
            }
        });

    public async Task<List<JsonElement>> LogAsync(string container)
    {
        var client = new BlobContainerClient(Azurite.ConnectionString, container);
        var events = new List<JsonElement>();
        if (!await client.ExistsAsync())
        {
            return events;
        }
        await foreach (var blob in client.GetBlobsAsync())
        {
            var text = (await client.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToString();
            events.AddRange(text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()));
        }
        return events;
    }
}

/// <summary>Every route through the real app (WebApplicationFactory) against a real Azurite.</summary>
public sealed class FunctionsAppTests(FunctionsFixture fixture) : IClassFixture<FunctionsFixture>
{
    [Fact]
    public void Start_LoadsTheDefaultAndTheServingExperimentsModels_BeforeTheFirstEmail()
    {
        using var app = fixture.App("log-warmup");
        _ = app.Server;

        // Without a GPU service the app scores the GPU model (replies@3) itself, so it loads it too.
        Assert.Equal(["replies@1", "replies@2", "replies@3"], app.Services.GetRequiredService<ScoringRuntime>().LoadedVersions);
    }

    [Fact]
    public void Start_WithAGpuService_LeavesGpuModelsToIt()
    {
        using var app = fixture.App("log-warmup-gpu", settings: new Dictionary<string, string> { ["Verdict:ScoringServiceUrl"] = "http://127.0.0.1:9" });
        _ = app.Server;

        Assert.Equal(["replies@1", "replies@2"], app.Services.GetRequiredService<ScoringRuntime>().LoadedVersions);
    }

    [Fact]
    public void Start_WithWarmupOff_LoadsNothingUntilAnEmailNeedsIt()
    {
        using var app = fixture.App("log-no-warmup", settings: new Dictionary<string, string> { ["Verdict:WarmupTimeout"] = "00:00:00" });
        _ = app.Server;

        Assert.Empty(app.Services.GetRequiredService<ScoringRuntime>().LoadedVersions);
    }

    [Fact]
    public void TheScoringSection_TunesTheAppsRuntime()
    {
        using var app = fixture.App("log-scoring-section", settings: new Dictionary<string, string> { ["Scoring:ExecutionProvider"] = "Cuda" });

        var error = Assert.Throws<ScoringException>(() => app.Services.GetRequiredService<ScoringRuntime>());

        Assert.Equal(ScoringError.ExecutionProviderUnavailable, error.Error);
    }

    [Fact]
    public void ABadSetting_StopsTheAppAsItStarts_NamingTheSetting()
    {
        using var app = fixture.App("log-bad-setting", settings: new Dictionary<string, string> { ["Verdict:ReportMaxAge"] = "02:00:00" });

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => app.Services);

        Assert.Contains("Verdict:ReportMaxAge", error.Message, StringComparison.Ordinal);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    [Fact]
    public async Task Score_InAnExperiment_AnswersWithArmAndModelAndLogsOneExposureWhenRepeated()
    {
        using var app = fixture.App("log-score");
        using var client = app.CreateClient();
        const string Email = """{"id":"mail-1","unit":"contact-7","experiment":"exp-model","subject":"Pricing","body":"Yes, let's set up a call on Thursday."}""";

        var first = await client.PostAsync("/api/score", Json(Email));
        var second = await client.PostAsync("/api/score", Json(Email));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("application/json", first.Content.Headers.ContentType?.MediaType);
        string firstText = await first.Content.ReadAsStringAsync();
        // A repeat is the first answer, byte for byte (its latency included), sent with its length.
        Assert.Equal(firstText, await second.Content.ReadAsStringAsync());
        Assert.Equal(Encoding.UTF8.GetByteCount(firstText), second.Content.Headers.ContentLength);
        var a = JsonDocument.Parse(firstText).RootElement;
        Assert.Equal("mail-1", a.GetProperty("scoringId").GetString());
        Assert.Equal(a.GetProperty("arm").GetString() == "champion" ? "replies@1" : "replies@2", a.GetProperty("model").GetString());
        var probabilities = a.GetProperty("probabilities").EnumerateObject().ToList();
        Assert.Equal(1.0, probabilities.Sum(p => p.Value.GetDouble()), 3);
        var best = probabilities.MaxBy(p => p.Value.GetDouble());
        Assert.Equal(a.GetProperty("intent").GetString(), best.Name);
        Assert.Equal(a.GetProperty("confidence").GetRawText(), best.Value.GetRawText());
        var log = await fixture.LogAsync("log-score");
        var scored = Assert.Single(log);
        Assert.Equal("scored", scored.GetProperty("type").GetString());
        Assert.Equal("contact-7", scored.GetProperty("unit").GetString());
        Assert.Equal("ab", scored.GetProperty("phase").GetString());
        // The log says the confidence the caller was told, digit for digit (a float's shortest form, not its widening to double).
        Assert.Equal(a.GetProperty("confidence").GetRawText(), scored.GetProperty("confidence").GetRawText());
        Assert.False(scored.TryGetProperty("body", out _));
        Assert.DoesNotContain("Thursday", scored.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScoreBatch_ScoresInOrderAndLogsEachExposure()
    {
        using var app = fixture.App("log-batch");
        using var client = app.CreateClient();

        var response = await client.PostAsync("/api/score/batch", Json("""
            [{"id":"b1","experiment":"exp-model","body":"remove me from this list"},
             {"id":"b2","experiment":"exp-model","body":"out of office until Monday"},
             {"id":"b3","body":"no experiment, default model"}]
            """));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray().ToList();
        Assert.Equal(["b1", "b2", "b3"], results.Select(r => r.GetProperty("scoringId").GetString()));
        Assert.Equal("replies@1", results[2].GetProperty("model").GetString());
        Assert.Equal(JsonValueKind.Null, results[2].GetProperty("arm").ValueKind);
        Assert.Equal(2, (await fixture.LogAsync("log-batch")).Count);
    }

    public static TheoryData<string, string, string, HttpStatusCode, string> BadRequests => new()
    {
        { "/api/score", "malformed JSON", """{"body": "hi" """, HttpStatusCode.BadRequest, "$" },
        { "/api/score", "empty body", "", HttpStatusCode.BadRequest, "$" },
        { "/api/score", "no body field", """{"subject":"hi"}""", HttpStatusCode.BadRequest, "body" },
        { "/api/score", "body over the limit", $$"""{"body":"{{new string('x', 2001)}}"}""", HttpStatusCode.RequestEntityTooLarge, "body" },
        { "/api/score", "unknown experiment", """{"experiment":"ghost","body":"hi"}""", HttpStatusCode.NotFound, "experiment" },
        { "/api/score", "unknown model", """{"model":"ghost@3","body":"hi"}""", HttpStatusCode.NotFound, "model" },
        { "/api/score", "unit of the wrong type", """{"unit":7,"body":"hi"}""", HttpStatusCode.BadRequest, "unit" },
        { "/api/score/batch", "batch over the limit", "[" + string.Join(",", Enumerable.Repeat("""{"body":"hi"}""", 9)) + "]", HttpStatusCode.RequestEntityTooLarge, "$" },
        { "/api/score/batch", "bad item", """[{"body":"hi"},{"body":""}]""", HttpStatusCode.BadRequest, "[1].body" },
        { "/api/outcomes", "negative handling time", """[{"scoringId":"a","handlingSeconds":3},{"scoringId":"b","handlingSeconds":-1}]""", HttpStatusCode.BadRequest, "[1].handlingSeconds" },
        { "/api/outcomes", "nothing to record", """{"scoringId":"a"}""", HttpStatusCode.BadRequest, "trueIntent" },
        { "/api/templates/assign", "no unit", """{"experiment":"exp-template","messageId":"m"}""", HttpStatusCode.BadRequest, "unit" },
        { "/api/templates/assign", "unknown experiment", """{"experiment":"ghost","unit":"u","messageId":"m"}""", HttpStatusCode.NotFound, "experiment" },
        { "/api/replies", "no message id", """{"body":"great"}""", HttpStatusCode.BadRequest, "messageId" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequest_GetsProblemDetailsNamingTheFieldAndLogsNothing(string route, string why, string body, HttpStatusCode status, string field)
    {
        string container = "log-bad-" + Math.Abs(why.GetHashCode(StringComparison.Ordinal)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var app = fixture.App(container);
        using var client = app.CreateClient();

        var response = await client.PostAsync(route, Json(body));

        Assert.Equal(status, response.StatusCode);
        var problem = await ProblemAsync(response);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var messages), $"{why}: {problem}");
        Assert.False(string.IsNullOrEmpty(messages[0].GetString()));
        Assert.DoesNotContain("   at ", problem.GetRawText(), StringComparison.Ordinal);
        Assert.Empty(await fixture.LogAsync(container));
    }

    [Fact]
    public async Task Outcomes_ObjectOrArray_AreLoggedAndAttributedToTheExperimentScoredHere()
    {
        using var app = fixture.App("log-outcomes");
        using var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/score", Json("""{"id":"o1","experiment":"exp-model","body":"sounds good"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/score", Json("""{"id":"o2","model":"replies@1","body":"sounds good"}"""))).StatusCode);

        var one = await client.PostAsync("/api/outcomes", Json("""{"scoringId":"o1","trueIntent":"positive","handlingSeconds":42.5}"""));
        var outside = await client.PostAsync("/api/outcomes", Json("""{"scoringId":"o2","trueIntent":"positive"}"""));
        var many = await client.PostAsync("/api/outcomes", Json("""[{"scoringId":"x1","handlingSeconds":3},{"scoringId":"x2","trueIntent":"objection"}]"""));

        Assert.Equal(HttpStatusCode.Accepted, one.StatusCode);
        Assert.Equal(2, JsonDocument.Parse(await many.Content.ReadAsStringAsync()).RootElement.GetProperty("recorded").GetInt32());
        var outcomes = (await fixture.LogAsync("log-outcomes")).Where(e => e.GetProperty("type").GetString() == "outcome").ToList();
        Assert.Equal(HttpStatusCode.Accepted, outside.StatusCode);
        Assert.Equal(4, outcomes.Count);
        Assert.Equal("exp-model", outcomes.Single(o => o.GetProperty("id").GetString() == "o1").GetProperty("experiment").GetString());
        // Scored here outside any experiment: the outcome is logged unattributed.
        var unattributed = outcomes.Single(o => o.GetProperty("id").GetString() == "o2");
        Assert.True(!unattributed.TryGetProperty("experiment", out var none) || none.ValueKind == JsonValueKind.Null, unattributed.GetRawText());
        Assert.Equal(42.5, outcomes.Single(o => o.GetProperty("id").GetString() == "o1").GetProperty("handlingSeconds").GetDouble());
    }

    [Fact]
    public async Task TemplatesAndReplies_AssignStickilyLogOnceAndScoreTheReply()
    {
        using var app = fixture.App("log-templates");
        using var client = app.CreateClient();
        const string Assign = """{"experiment":"exp-template","unit":"contact-9","messageId":"msg-1"}""";

        var first = await client.PostAsync("/api/templates/assign", Json(Assign));
        var again = await client.PostAsync("/api/templates/assign", Json(Assign));
        var reply = await client.PostAsync("/api/replies", Json("""{"messageId":"msg-1","body":"Yes, happy to talk next week."}"""));

        var arm = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("arm").GetString();
        Assert.Contains(arm, new[] { "welcome-a", "welcome-b" });
        Assert.Equal(arm, JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("arm").GetString());
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        Assert.Equal("replies@1", JsonDocument.Parse(await reply.Content.ReadAsStringAsync()).RootElement.GetProperty("model").GetString());
        var log = await fixture.LogAsync("log-templates");
        Assert.Single(log, e => e.GetProperty("type").GetString() == "assigned");
        var logged = Assert.Single(log, e => e.GetProperty("type").GetString() == "reply");
        Assert.Equal("exp-template", logged.GetProperty("experiment").GetString());
        Assert.DoesNotContain("happy", logged.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_ReadsTheExperimentsLog_AndAnUnknownExperimentIs404NamingTheId()
    {
        using var app = fixture.App("log-report");
        using var client = app.CreateClient();
        for (int i = 0; i < 20; i++)
        {
            await client.PostAsync("/api/score", Json($$"""{"id":"r{{i}}","unit":"u{{i}}","experiment":"exp-model","body":"let's meet"}"""));
        }

        var report = await client.GetAsync("/api/experiments/exp-model/report");
        var markdown = await client.GetStringAsync("/api/experiments/exp-model/report?format=md");
        var html = await client.GetAsync("/api/experiments/exp-model/report?format=html");
        var unknown = await client.GetAsync("/api/experiments/ghost/report");

        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        var result = JsonDocument.Parse(await report.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("exp-model", result.GetProperty("experiment").GetString());
        Assert.Equal(20, result.GetProperty("arms").EnumerateArray().Sum(a => a.GetProperty("exposures").GetInt64()));
        Assert.StartsWith("## exp-model", markdown, StringComparison.Ordinal);
        Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);
        string page = await html.Content.ReadAsStringAsync();
        Assert.Contains("<h1>exp-model</h1>", page, StringComparison.Ordinal);
        Assert.Contains("macro-F1", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.True((await ProblemAsync(unknown)).GetProperty("errors").TryGetProperty("id", out _));
    }

    [Fact]
    public async Task Report_OpenedAgainWithinItsMaxAge_IsTheSameAnalysis_AndWithMaxAgeZeroTheLogIsReadAgain()
    {
        using var kept = fixture.App("log-report-age");
        using var fresh = fixture.App("log-report-age", settings: new Dictionary<string, string> { ["Verdict:ReportMaxAge"] = "00:00:00" });
        using var client = kept.CreateClient();
        using var freshClient = fresh.CreateClient();
        async Task ScoreAsync(int from, int count)
        {
            for (int i = from; i < from + count; i++)
            {
                var scored = await client.PostAsync("/api/score", Json($$"""{"id":"age{{i}}","unit":"age-u{{i}}","experiment":"exp-model","body":"let's meet"}"""));
                Assert.Equal(HttpStatusCode.OK, scored.StatusCode);
            }
        }
        async Task<(long Exposures, DateTimeOffset? AsOf)> ReportAsync(HttpClient from)
        {
            var response = await from.GetAsync("/api/experiments/exp-model/report");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            return (result.GetProperty("arms").EnumerateArray().Sum(a => a.GetProperty("exposures").GetInt64()), response.Content.Headers.LastModified);
        }

        await ScoreAsync(0, 5);
        var first = await ReportAsync(client);
        await ScoreAsync(5, 5);
        var again = await ReportAsync(client);
        var reread = await ReportAsync(freshClient);

        Assert.Equal(5, first.Exposures);
        Assert.Equal(first, again);
        Assert.NotNull(first.AsOf);
        Assert.Equal(10, reread.Exposures);
    }

    [Fact]
    public async Task ApiKey_WhenConfigured_IsRequired()
    {
        using var app = fixture.App("log-key", apiKey: "s3cret");
        using var client = app.CreateClient();

        var without = await client.GetAsync("/api/hello");
        client.DefaultRequestHeaders.Add(FunctionsApp.ApiKeyHeader, "s3cret");
        var with = await client.GetAsync("/api/hello");

        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Equal(HttpStatusCode.OK, with.StatusCode);
    }

    [Fact]
    public async Task Score_ByDefault_AnswersBeforeLogging_AndTheExposureReachesTheLogWithinAFlushInterval()
    {
        using var app = fixture.App("log-fast", settings: new Dictionary<string, string> { ["Verdict:DurableHttpLogging"] = "false" });
        using var client = app.CreateClient();
        Assert.False(new FunctionsOptions().DurableHttpLogging);

        var response = await client.PostAsync("/api/score", Json("""{"id":"fast-1","experiment":"exp-model","body":"Call me next week"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        List<JsonElement> log;
        while ((log = await fixture.LogAsync("log-fast")).Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.Equal("fast-1", Assert.Single(log).GetProperty("id").GetString());
    }
}
