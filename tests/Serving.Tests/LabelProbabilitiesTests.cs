using System.Text.Json;

namespace Verdict.Serving.Tests;

public sealed class LabelProbabilitiesTests
{
    [Fact]
    public void AnAnswer_WritesProbabilitiesAsAnObjectInLabelOrder_AndReadsBackTheSame()
    {
        var answer = new ScoreResponse("s-1", "objection", 0.625f,
            new LabelProbabilities(["positive", "objection", "question"], [0.25f, 0.625f, 0.125f]), "exp", "challenger", "replies@2", 1.5);

        byte[] json = JsonSerializer.SerializeToUtf8Bytes(answer, ServingJson.Default.ScoreResponse);

        var probabilities = JsonDocument.Parse(json).RootElement.GetProperty("probabilities");
        Assert.Equal(["positive", "objection", "question"], probabilities.EnumerateObject().Select(p => p.Name));
        Assert.Equal([0.25, 0.625, 0.125], probabilities.EnumerateObject().Select(p => p.Value.GetDouble()));
        var back = JsonSerializer.Deserialize(json, ServingJson.Default.ScoreResponse)!;
        Assert.Equal(answer.Probabilities.Labels, back.Probabilities.Labels);
        Assert.Equal(answer.Probabilities.Values, back.Probabilities.Values);
        Assert.Equal("exp", back.Experiment);
    }

    [Fact]
    public void LabelsAndProbabilities_MustPair()
    {
        Assert.Throws<ArgumentException>(() => new LabelProbabilities(["a", "b"], [1f]));
    }

    [Theory]
    [InlineData("""[0.5]""")]
    [InlineData("""{"a":0.5,"b":"x"}""")]
    public void ReadingAnythingButAnObjectOfNumbers_Fails(string probabilities)
    {
        string json = $$"""{"scoringId":"s","intent":"a","confidence":0.5,"probabilities":{{probabilities}},"model":"m@1","latencyMs":1}""";

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, ServingJson.Default.ScoreResponse));
    }
}
