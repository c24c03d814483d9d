namespace Verdict.Functions.Tests;

public sealed class RecentAnswersTests
{
    [Fact]
    public void RemembersAtLeastTheLastHalfOfItsCapacity_AndForgetsOlderGenerationsWhole()
    {
        var recent = new RecentAnswers<string>(capacity: 10);

        for (int i = 0; i < 23; i++)
        {
            recent.Set($"id-{i}", $"answer-{i}");
        }

        for (int i = 18; i < 23; i++)
        {
            Assert.Equal($"answer-{i}", recent.Get($"id-{i}"));
        }
        int remembered = Enumerable.Range(0, 23).Count(i => recent.Get($"id-{i}") is not null);
        Assert.InRange(remembered, 5, 10);
        Assert.Null(recent.Get("id-0"));
    }

    [Fact]
    public void ARepeatedId_KeepsItsLatestAnswer()
    {
        var recent = new RecentAnswers<string>(capacity: 100);

        recent.Set("a", "first");
        recent.Set("a", "second");

        Assert.Equal("second", recent.Get("a"));
        Assert.Null(recent.Get("b"));
    }
}
