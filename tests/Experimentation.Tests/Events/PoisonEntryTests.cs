using System.Text.Json;
using Verdict.Experimentation.Events;

namespace Verdict.Experimentation.Tests.Events;

public sealed class PoisonEntryTests
{
    [Fact]
    public void TheEntry_KeepsTheMessageVerbatim_AndTheTimeInUtc()
    {
        const string Message = "{\"id\":\"a\u00e9\",\n\"body\":\"quote \\\" and </script>\"}";

        var entry = JsonDocument.Parse(PoisonEntry.ToJson("body: too long", "score-requests", 5, new DateTimeOffset(2026, 11, 22, 20, 0, 0, TimeSpan.FromHours(2)), Message)).RootElement;

        Assert.Equal("body: too long", entry.GetProperty("reason").GetString());
        Assert.Equal("score-requests", entry.GetProperty("queue").GetString());
        Assert.Equal(5, entry.GetProperty("dequeueCount").GetInt64());
        Assert.Equal("2026-11-22T18:00:00.0000000+00:00", entry.GetProperty("poisonedAt").GetString());
        Assert.Equal(Message, entry.GetProperty("message").GetString());
    }
}
