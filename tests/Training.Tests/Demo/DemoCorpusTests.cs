using Verdict.Training.Demo;

namespace Verdict.Training.Tests.Demo;

public sealed class DemoCorpusTests
{
    [Fact]
    public void Generate_SameSeed_SameCorpus() =>
        Assert.Equal(DemoCorpus.Generate(20, 9), DemoCorpus.Generate(20, 9));

    [Fact]
    public void Generate_Corpus_CoversEveryLabelWithVariedTexts()
    {
        var rows = DemoCorpus.Generate(200, 1).ToList();
        Assert.Equal(DemoCorpus.Labels.Order(), rows.Select(r => r.Label).Distinct().Order());
        Assert.True(rows.Select(r => r.Text).Distinct().Count() > rows.Count * 0.9);
        Assert.InRange(rows.Count(r => r.Split == "test") / (double)rows.Count, 0.15, 0.25);
    }
}
