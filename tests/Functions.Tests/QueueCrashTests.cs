using System.Text.Json;
using Azure.Storage.Queues;
using Verdict.TestUtilities;

namespace Verdict.Functions.Tests;

/// <summary>The app's own queue path survives a kill -9: run as a process on Azurite, killed while it drains, then restarted.</summary>
public sealed class QueueCrashTests(FunctionsFixture fixture) : IClassFixture<FunctionsFixture>, IDisposable
{
    private const int Emails = 600;
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private System.Diagnostics.Process StartApp(string hostJson)
    {
        string dll = RepositoryPaths.BuiltProgram("Functions");
        return TestProcess.StartServer("dotnet", [dll, "--urls", $"http://127.0.0.1:{TestProcess.FreePort()}"], new Dictionary<string, string>
        {
            ["Verdict__StorageConnectionString"] = fixture.Azurite.ConnectionString,
            ["Verdict__DefaultModel"] = "replies@1",
            ["Verdict__EventContainer"] = "log-crash",
            ["Verdict__HostJson"] = hostJson,
            ["Verdict__LocalQueueLease"] = "00:00:03",
            ["Logging__LogLevel__Default"] = "Warning",
        }, Path.GetDirectoryName(dll));
    }

    private QueueClient Queue(string name) =>
        new(fixture.Azurite.ConnectionString, name, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    /// <summary>Receives a batch of results, deleting them, and adds each one's scoring id.</summary>
    private static async Task CollectAsync(QueueClient queue, HashSet<string> ids)
    {
        foreach (var message in (await queue.ReceiveMessagesAsync(32)).Value)
        {
            ids.Add(JsonDocument.Parse(message.MessageText).RootElement.GetProperty("scoringId").GetString()!);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
        }
    }

    [Fact]
    public async Task TheAppKilledWhileItDrains_LosesNoEmail_AndLogsEachOnceAfterItsRestart()
    {
        string hostJson = temp.Combine("host.json");
        File.WriteAllText(hostJson, """
            {"version":"2.0","extensions":{"queues":{"batchSize":16,"newBatchThreshold":8,"maxPollingInterval":"00:00:00.200",
             "visibilityTimeout":"00:00:00","maxDequeueCount":5,"messageEncoding":"base64"}}}
            """);
        var requests = Queue("score-requests");
        var results = Queue("score-results");
        await requests.CreateIfNotExistsAsync();
        await results.CreateIfNotExistsAsync();
        await Parallel.ForEachAsync(Enumerable.Range(0, Emails), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            await requests.SendMessageAsync($$"""{"id":"crash-{{i}}","unit":"u-{{i % 60}}","experiment":"exp-model","body":"Can we talk pricing next week?"}""", ct));
        var answered = new HashSet<string>(StringComparer.Ordinal);

        var first = StartApp(hostJson);
        try
        {
            for (int i = 0; i < 600 && answered.Count < 20 && !first.HasExited; i++)
            {
                await CollectAsync(results, answered);
                await Task.Delay(20);
            }
            Assert.False(first.HasExited, "the app stopped by itself");
            Assert.InRange(answered.Count, 20, Emails - 1);
        }
        finally
        {
            first.Kill(entireProcessTree: true); // SIGKILL: no flush, no shutdown, messages in hand.
            await first.WaitForExitAsync();
        }
        int beforeRestart = answered.Count;

        using var second = StartApp(hostJson);
        try
        {
            for (int i = 0; i < 3000 && answered.Count < Emails && !second.HasExited; i++)
            {
                await CollectAsync(results, answered);
                await Task.Delay(20);
            }
            Assert.Equal(Emails, answered.Count);
            Assert.Equal(0, (await requests.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        }
        finally
        {
            second.Kill(entireProcessTree: true);
            await second.WaitForExitAsync();
        }

        // Every email has its exposure in the log; one delivered again after the kill may have it twice (the reader
        // keeps the first), but none is missing, and none was answered before its exposure was stored.
        var scored = (await fixture.LogAsync("log-crash")).Where(e => e.GetProperty("type").GetString() == "scored").Select(e => e.GetProperty("id").GetString()!).ToList();
        Assert.Equal(answered.Order(StringComparer.Ordinal), scored.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        Assert.True(beforeRestart < Emails, "every email was answered before the kill: it tested nothing");
    }
}
