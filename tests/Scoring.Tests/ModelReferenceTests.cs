namespace Verdict.Scoring.Tests;

public sealed class ModelReferenceTests
{
    [Theory]
    [InlineData("replies", "replies", null)]
    [InlineData("replies@2", "replies", "2")]
    [InlineData("intent-model_v2@1.10.3", "intent-model_v2", "1.10.3")]
    public void Parse_ValidReference_SplitsNameAndVersion(string text, string name, string? version)
    {
        var reference = ModelReference.Parse(text);
        Assert.Equal(name, reference.Name);
        Assert.Equal(version, reference.Version);
        Assert.Equal(text, reference.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("@1")]
    [InlineData("replies@")]
    [InlineData("../etc@1")]
    [InlineData("a b")]
    [InlineData("a@1@2")]
    public void Parse_InvalidReference_ThrowsInvalidReference(string text)
    {
        var error = Assert.Throws<ScoringException>(() => ModelReference.Parse(text));
        Assert.Equal(ScoringError.InvalidReference, error.Error);
    }
}
