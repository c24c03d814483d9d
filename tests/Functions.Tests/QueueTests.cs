using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Verdict.TestUtilities;

namespace Verdict.Functions.Tests;

/// <summary>The queue functions, called as the Functions host calls them and through the local listeners, against Azurite.</summary>
public sealed class QueueTests(FunctionsFixture fixture) : IClassFixture<FunctionsFixture>, IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    /// <summary>The shipped host.json with quick retries: no wait between deliveries, poison after three.</summary>
    private string QuickHostJson()
    {
        string path = temp.Combine("host.json");
        File.WriteAllText(path, """
            {"version":"2.0","extensions":{"queues":{"batchSize":8,"newBatchThreshold":4,"maxPollingInterval":"00:00:00.200",
             "visibilityTimeout":"00:00:00","maxDequeueCount":3,"messageEncoding":"base64"}}}
            """);
        return path;
    }

    private WebApplicationFactory<Program> Listening(string eventContainer) => fixture.App(eventContainer, settings: new Dictionary<string, string>
    {
        ["Verdict:LocalQueues"] = "true",
        ["Verdict:HostJson"] = QuickHostJson(),
    });

    private QueueClient Queue(string name) =>
        new(fixture.Azurite.ConnectionString, name, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    /// <summary>A message as the host binds it: its text already decoded by messageEncoding, and its delivery count.</summary>
    private static QueueMessage Delivery(string text, long dequeueCount) =>
        QueuesModelFactory.QueueMessage(Guid.NewGuid().ToString(), "pop", text, dequeueCount, insertedOn: DateTimeOffset.UtcNow.AddSeconds(-2));

    /// <summary>Polls until <paramref name="probe"/> holds or the deadline passes; returns whether it held.</summary>
    private static async Task<bool> EventuallyAsync(Func<Task<bool>> probe, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (await probe())
            {
                return true;
            }
            await Task.Delay(100);
        }
        return await probe();
    }

    private async Task<List<JsonElement>> DrainAsync(string queue)
    {
        var client = Queue(queue);
        var items = new List<JsonElement>();
        if (!await client.ExistsAsync())
        {
            return items;
        }
        foreach (var m in (await client.ReceiveMessagesAsync(32)).Value)
        {
            items.Add(JsonDocument.Parse(m.MessageText).RootElement.Clone());
            await client.DeleteMessageAsync(m.MessageId, m.PopReceipt);
        }
        return items;
    }

    [Fact]
    public async Task ScoreRequestFunction_ReturnsTheAnswerForScoreResults_AndLogsTheExposure()
    {
        using var app = fixture.App("log-invoke");
        var functions = app.Services.GetRequiredService<QueueFunctions>();

        string? output = await functions.ScoreRequests(Delivery("""{"id":"inv-1","experiment":"exp-model","unit":"c-1","body":"Let's talk on Monday"}""", 1), CancellationToken.None);

        var result = JsonDocument.Parse(output!).RootElement;
        Assert.Equal("inv-1", result.GetProperty("scoringId").GetString());
        Assert.Contains(result.GetProperty("arm").GetString(), new[] { "champion", "challenger" });
        var scored = Assert.Single(await fixture.LogAsync("log-invoke"));
        Assert.Equal("inv-1", scored.GetProperty("id").GetString());
    }

    [Fact]
    public async Task ScoreRequestFunction_AFailureThrowsForRedeliveryUntilTheLastDelivery_ThenThePoisonEntryCarriesTheReason()
    {
        using var app = fixture.App("log-invoke-fail");
        var functions = app.Services.GetRequiredService<QueueFunctions>();
        const string Message = """{"id":"inv-ghost","model":"ghost@1","body":"hello"}""";
        int maxDequeueCount = app.Services.GetRequiredService<QueueSettings>().MaxDequeueCount;

        var early = await Assert.ThrowsAsync<QueueRetryException>(() => functions.ScoreRequests(Delivery(Message, maxDequeueCount - 1), CancellationToken.None));
        string? last = await functions.ScoreRequests(Delivery(Message, maxDequeueCount), CancellationToken.None);

        Assert.Contains("ghost@1", early.Message, StringComparison.Ordinal);
        Assert.Null(last);
        var poisoned = Assert.Single(await DrainAsync("score-requests-poison"));
        Assert.Contains("model 'ghost@1' is not published", poisoned.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(maxDequeueCount, poisoned.GetProperty("dequeueCount").GetInt32());
        Assert.Equal(Message, poisoned.GetProperty("message").GetString());
        Assert.Empty(await fixture.LogAsync("log-invoke-fail"));
    }

    [Fact]
    public async Task OutcomesFunction_AMalformedOutcome_IsPoisonedAtOnceNamingTheField()
    {
        using var app = fixture.App("log-invoke-bad");
        var functions = app.Services.GetRequiredService<QueueFunctions>();

        await functions.Outcomes(Delivery("""{"scoringId":"x","handlingSeconds":-4}""", 1), CancellationToken.None);

        var poisoned = Assert.Single(await DrainAsync("outcomes-poison"));
        Assert.StartsWith("handlingSeconds:", poisoned.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, poisoned.GetProperty("dequeueCount").GetInt32());
        Assert.Empty(await fixture.LogAsync("log-invoke-bad"));
    }

    [Fact]
    public async Task LocalListener_ScoresRequestsToTheResultQueue_AndARequestDeliveredTwiceLogsOneExposure()
    {
        using var app = Listening("log-listen");
        _ = app.Services;
        var requests = Queue("score-requests");
        await requests.CreateIfNotExistsAsync();
        const string Email = """{"id":"listen-1","experiment":"exp-model","unit":"c-9","body":"Please send the pricing sheet"}""";
        await requests.SendMessageAsync(Email);
        await requests.SendMessageAsync(Email);
        await requests.SendMessageAsync("""{"id":"listen-2","body":"No budget this year"}""");

        var results = new List<JsonElement>();
        Assert.True(await EventuallyAsync(async () =>
        {
            results.AddRange(await DrainAsync("score-results"));
            return results.Count >= 3;
        }), $"score-results got {results.Count} of 3");
        await Queue("outcomes").CreateIfNotExistsAsync();
        await Queue("outcomes").SendMessageAsync("""{"scoringId":"listen-1","trueIntent":"positive","handlingSeconds":30}""");
        Assert.True(await EventuallyAsync(async () => (await fixture.LogAsync("log-listen")).Any(e => e.GetProperty("type").GetString() == "outcome")));

        var first = results.Where(r => r.GetProperty("scoringId").GetString() == "listen-1").ToList();
        Assert.Equal(2, first.Count);
        Assert.Equal(first[0].GetProperty("arm").GetString(), first[1].GetProperty("arm").GetString());
        Assert.Equal("replies@1", Assert.Single(results, r => r.GetProperty("scoringId").GetString() == "listen-2").GetProperty("model").GetString());
        var log = await fixture.LogAsync("log-listen");
        Assert.Equal("listen-1", Assert.Single(log, e => e.GetProperty("type").GetString() == "scored").GetProperty("id").GetString());
        var outcome = Assert.Single(log, e => e.GetProperty("type").GetString() == "outcome");
        Assert.Equal("exp-model", outcome.GetProperty("experiment").GetString());
        Assert.True(await EventuallyAsync(async () => (await requests.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0));
    }

    [Fact]
    public async Task LocalListener_AMessageThatAlwaysFails_EndsInThePoisonQueueAfterMaxDequeueCountWithItsReason()
    {
        using var poisonedMetric = new MeasurementCount("verdict.queue.poisoned", queue: "replies");
        using var app = fixture.App("log-listen-fail", settings: new Dictionary<string, string>
        {
            ["Verdict:LocalQueues"] = "true",
            ["Verdict:HostJson"] = QuickHostJson(),
            ["Verdict:DefaultModel"] = "missing@1",
        });
        _ = app.Services;
        var replies = Queue("replies");
        await replies.CreateIfNotExistsAsync();
        await replies.SendMessageAsync("""{"messageId":"m-always-fails","body":"thanks, not now"}""");
        await replies.SendMessageAsync("not json at all");

        var poisoned = new List<JsonElement>();
        Assert.True(await EventuallyAsync(async () =>
        {
            poisoned.AddRange(await DrainAsync("replies-poison"));
            return poisoned.Count >= 2;
        }), $"replies-poison got {poisoned.Count} of 2");

        var failing = Assert.Single(poisoned, p => p.GetProperty("message").GetString()!.Contains("m-always-fails", StringComparison.Ordinal));
        Assert.Equal(3, failing.GetProperty("dequeueCount").GetInt32());
        Assert.Contains("failed 3 deliveries", failing.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("missing@1", failing.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var malformed = Assert.Single(poisoned, p => p.GetProperty("message").GetString() == "not json at all");
        Assert.Equal(1, malformed.GetProperty("dequeueCount").GetInt32());
        Assert.Contains("not valid JSON", malformed.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(await EventuallyAsync(async () => (await replies.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0));
        Assert.Empty(await fixture.LogAsync("log-listen-fail"));
        Assert.True(poisonedMetric.Total >= 2);
    }

    /// <summary>Runs the JavaScript queue client (the Azure SDK for JavaScript) against this Azurite.</summary>
    private async Task<string> JavaScriptClientAsync(params string[] arguments)
    {
        var (code, stdout, stderr) = await TestProcess.RunAsync("node", [RepositoryPaths.QueueClientScript, .. arguments], TimeSpan.FromMinutes(1),
            new Dictionary<string, string> { ["VERDICT_STORAGE_CONNECTION_STRING"] = fixture.Azurite.ConnectionString });
        Assert.True(code == 0, $"queue-client {string.Join(' ', arguments)} exited {code}: {stderr}");
        return stdout;
    }

    [Fact]
    public async Task LocalListener_JavaScriptClient_ValidMessagesAreScored_BadOnesPoisonedWithTheirReason_AndTheQueueKeepsFlowing()
    {
        using var app = Listening("log-js");
        _ = app.Services;
        string batch = temp.Combine("messages.json");
        File.WriteAllText(batch, JsonSerializer.Serialize(new object[]
        {
            new { text = """{"id":"js-1","experiment":"exp-model","unit":"c-js","body":"Can we talk pricing next week?"}""" },
            new { text = """{"id":"js-plain","body":"sent without base64"}""", plain = true },
            new { text = "this is not json" },
            new { text = """{"id":"js-typed","body":42}""" },
            new { text = """{"id":"js-no-body","subject":"hi"}""" },
        }));
        await JavaScriptClientAsync("send-file", "score-requests", batch);
        await JavaScriptClientAsync("send", "score-requests", """{"id":"js-2","body":"Please unsubscribe me"}""");

        var results = new List<JsonElement>();
        var poisoned = new List<JsonElement>();
        Assert.True(await EventuallyAsync(async () =>
        {
            foreach (string line in (await JavaScriptClientAsync("receive", "score-results")).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                results.Add(JsonDocument.Parse(JsonDocument.Parse(line).RootElement.GetProperty("text").GetString()!).RootElement.Clone());
            }
            foreach (string line in (await JavaScriptClientAsync("receive", "score-requests-poison")).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                poisoned.Add(JsonDocument.Parse(JsonDocument.Parse(line).RootElement.GetProperty("text").GetString()!).RootElement.Clone());
            }
            return results.Count >= 2 && poisoned.Count >= 4;
        }), $"score-results got {results.Count} of 2, score-requests-poison {poisoned.Count} of 4");

        Assert.Equal(["js-1", "js-2"], results.Select(r => r.GetProperty("scoringId").GetString()).Order(StringComparer.Ordinal));
        string Reason(string fragment) => Assert.Single(poisoned, p => p.GetProperty("message").GetString()!.Contains(fragment, StringComparison.Ordinal)).GetProperty("reason").GetString()!;
        Assert.Contains("not base64", Reason("js-plain"), StringComparison.Ordinal);
        Assert.Contains("not valid JSON", Reason("not json"), StringComparison.Ordinal);
        Assert.StartsWith("body: body must be a string", Reason("js-typed"), StringComparison.Ordinal);
        Assert.StartsWith("body: body is required", Reason("js-no-body"), StringComparison.Ordinal);
        Assert.All(poisoned, p => Assert.Equal(1, p.GetProperty("dequeueCount").GetInt32()));
        Assert.Equal("js-1", Assert.Single(await fixture.LogAsync("log-js"), e => e.GetProperty("type").GetString() == "scored").GetProperty("id").GetString());
        Assert.True(await EventuallyAsync(async () => (await Queue("score-requests").GetPropertiesAsync()).Value.ApproximateMessagesCount == 0));
    }

    /// <summary>Adds up what the app's meter records on one instrument, for one queue when given.</summary>
    private sealed class MeasurementCount : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _total;

        public MeasurementCount(string instrument, string? queue = null)
        {
            _listener.InstrumentPublished = (published, l) =>
            {
                if (published.Meter.Name == Telemetry.Name && published.Name == instrument)
                {
                    l.EnableMeasurementEvents(published);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (queue is null || (tag.Key == "queue" && (string?)tag.Value == queue))
                    {
                        Interlocked.Add(ref _total, value);
                        return;
                    }
                }
            });
            _listener.Start();
        }

        public long Total => Interlocked.Read(ref _total);

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>A GPU service that answers only when the test lets it, so a message can be held in hand.</summary>
    private sealed class HeldGpu : HttpMessageHandler
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        public Task Entered => _entered.Task;

        public int Calls => Volatile.Read(ref _calls);

        public void Release() => _released.TrySetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            _entered.TrySetResult();
            await _released.Task.WaitAsync(cancellationToken);
            const string Body = """{"model":"replies@3","results":[{"intent":"positive","confidence":0.97,"probabilities":{"positive":0.97,"objection":0.03}}]}""";
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(Body, Encoding.UTF8, "application/json") };
        }
    }

    [Fact]
    public async Task LocalListener_AMessageHeldPastHalfItsLease_HasTheLeaseRenewed_AndIsDeletedOnceWithTheRenewedReceipt()
    {
        using var renewals = new MeasurementCount("verdict.queue.lease_renewals");
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var gpu = new HeldGpu();
        using var app = fixture.App("log-lease", settings: new Dictionary<string, string>
        {
            ["Verdict:LocalQueues"] = "true",
            ["Verdict:HostJson"] = QuickHostJson(),
            ["Verdict:ScoringServiceUrl"] = "http://gpu.test",
            ["Verdict:GpuTimeout"] = "00:10:00",
        }).WithWebHostBuilder(b => b.ConfigureTestServices(s =>
        {
            s.AddSingleton<TimeProvider>(clock);
            s.AddHttpClient<GpuScoringClient>().ConfigurePrimaryHttpMessageHandler(() => gpu);
        }));
        _ = app.Services;
        var requests = Queue("score-requests");
        await requests.CreateIfNotExistsAsync();
        await requests.SendMessageAsync("""{"id":"lease-1","model":"replies@3","body":"Happy to chat next week"}""");
        await gpu.Entered.WaitAsync(TimeSpan.FromSeconds(30));

        clock.Advance(app.Services.GetRequiredService<FunctionsOptions>().LocalQueueLease / 2);
        Assert.True(await EventuallyAsync(() => Task.FromResult(renewals.Total >= 1)), "the lease was not renewed");
        gpu.Release();

        var results = new List<JsonElement>();
        Assert.True(await EventuallyAsync(async () =>
        {
            results.AddRange(await DrainAsync("score-results"));
            return results.Count >= 1;
        }));
        Assert.Equal("lease-1", Assert.Single(results).GetProperty("scoringId").GetString());
        Assert.True(await EventuallyAsync(async () => (await requests.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0), "the message was not deleted");
        Assert.Equal(1, gpu.Calls);
    }
}
