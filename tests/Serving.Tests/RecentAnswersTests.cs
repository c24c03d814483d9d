using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Verdict.Serving.Tests;

public sealed class RecentAnswersTests
{
    private static readonly JsonTypeInfo<string> Text = (JsonTypeInfo<string>)JsonSerializerOptions.Default.GetTypeInfo(typeof(string));

    [Fact]
    public void RemembersTheLatestAnswers_AndForgetsTheOldestOnceTheRingIsFull()
    {
        // 10 entries of capacity: a ring of 5,120 bytes. Each entry here takes 8 + 2·len(id) + len(answer JSON),
        // rounded up to 8: about 64 bytes, so the ring holds the last 80 or so.
        var recent = new RecentAnswers<string>(capacity: 10, Text);

        for (int i = 0; i < 1_000; i++)
        {
            recent.Set($"id-{i:D6}", $"answer-{i:D20}");
        }

        for (int i = 1_000 - 10; i < 1_000; i++)
        {
            Assert.Equal($"answer-{i:D20}", recent.Get($"id-{i:D6}"));
        }
        int remembered = Enumerable.Range(0, 1_000).Count(i => recent.Get($"id-{i:D6}") is not null);
        Assert.InRange(remembered, 10, 5_120 / 64);
        Assert.Null(recent.Get("id-000000"));
        Assert.Null(recent.Get("id-000500"));
    }

    [Fact]
    public void ARepeatedId_KeepsItsLatestAnswer()
    {
        var recent = new RecentAnswers<string>(capacity: 100, Text);

        recent.Set("a", "first");
        recent.Set("a", "second");

        Assert.Equal("second", recent.Get("a"));
        Assert.Null(recent.Get("b"));
    }

    [Fact]
    public void AnswersOfVaryingSize_SurviveTheRingWrappingAround()
    {
        var recent = new RecentAnswers<string>(capacity: 40, Text);
        var random = new Random(7);
        var answers = new List<(string Id, string Answer)>();

        for (int i = 0; i < 5_000; i++)
        {
            string answer = new('x', random.Next(0, 900));
            recent.Set($"email-{i}", answer);
            answers.Add(($"email-{i}", answer));
        }

        // Whatever is still remembered is exactly what was stored for that id, never a torn or foreign entry.
        int remembered = 0;
        foreach (var (id, answer) in answers)
        {
            if (recent.Get(id) is { } got)
            {
                Assert.Equal(answer, got);
                remembered++;
            }
        }
        Assert.True(remembered >= 5, $"{remembered} remembered");
        Assert.Equal(answers[^1].Answer, recent.Get(answers[^1].Id));
    }

    [Fact]
    public void IdsSharingAHashWindow_AreStillTellApart()
    {
        // 64 index slots (the minimum) and a ring large enough for all: 300 ids crowd every window.
        var recent = new RecentAnswers<string>(capacity: 10, Text);
        for (int i = 0; i < 300; i++)
        {
            recent.Set($"k{i}", $"v{i}");
        }

        for (int i = 0; i < 300; i++)
        {
            if (recent.Get($"k{i}") is { } got)
            {
                Assert.Equal($"v{i}", got);
            }
        }
        Assert.Equal("v299", recent.Get("k299"));
    }

    [Fact]
    public void AnAnswerTooLargeForTheRing_IsNotRemembered_AndPushesNothingOut()
    {
        var recent = new RecentAnswers<string>(capacity: 4, Text); // a 2,048-byte ring
        recent.Set("small", "kept");

        recent.Set("large", new string('x', 1_000));

        Assert.Null(recent.Get("large"));
        Assert.Equal("kept", recent.Get("small"));
    }

    [Fact]
    public void NearThePositionLimit_TheStoreStartsAgain_AndKeepsWorking()
    {
        var recent = new RecentAnswers<string>(capacity: 10, Text);
        recent.SkipTo((1L << 48) - 100);

        recent.Set("before", "1");
        recent.Set("after", "2");

        Assert.Equal("2", recent.Get("after"));
    }

    [Fact]
    public async Task ConcurrentCallers_NeverSeeAnotherIdsAnswer()
    {
        var recent = new RecentAnswers<string>(capacity: 1_000, Text);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < 20_000; i++)
            {
                string id = $"{t}-{i}";
                recent.Set(id, "answer " + id);
                string? back = recent.Get($"{t}-{i / 2}");
                Assert.True(back is null || back == $"answer {t}-{i / 2}", back);
            }
        })));
    }
}
