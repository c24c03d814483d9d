using System.Text.Json.Nodes;
using Verdict.Scoring;
using Verdict.Scoring.Inference;
using Verdict.Scoring.Packages;
using Verdict.TestUtilities;

namespace Verdict.Scoring.Tests.Packages;

public sealed class ModelPackageTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Read_ValidPackage_VerifiesAndParsesManifest()
    {
        var folder = TestModels.CopyLinear(_temp.Combine("p"));
        var package = await ModelPackage.ReadFolderAsync(folder, default);
        Assert.Equal("replies", package.Manifest.Name);
        Assert.Equal(5, package.Manifest.Labels.Count);
        Assert.Equal(FeaturizerSpec.HashedNGrams, package.Manifest.Featurizer.Type);
    }

    [Fact]
    public async Task Read_MissingManifest_ThrowsPackageFileMissing()
    {
        var folder = TestModels.CopyLinear(_temp.Combine("p"));
        File.Delete(Path.Combine(folder, "manifest.json"));
        var error = await Assert.ThrowsAsync<ScoringException>(() => ModelPackage.ReadFolderAsync(folder, default));
        Assert.Equal(ScoringError.PackageFileMissing, error.Error);
        Assert.Contains("manifest.json", error.Message);
    }

    [Fact]
    public async Task Read_MissingOnnxFile_ThrowsPackageFileMissingNamingIt()
    {
        var folder = TestModels.CopyLinear(_temp.Combine("p"));
        File.Delete(Path.Combine(folder, "model.onnx"));
        var error = await Assert.ThrowsAsync<ScoringException>(() => ModelPackage.ReadFolderAsync(folder, default));
        Assert.Equal(ScoringError.PackageFileMissing, error.Error);
        Assert.Contains("model.onnx", error.Message);
    }

    [Fact]
    public async Task Read_OneByteChanged_ThrowsChecksumMismatch()
    {
        var folder = TestModels.CopyLinear(_temp.Combine("p"));
        var path = Path.Combine(folder, "model.onnx");
        var bytes = File.ReadAllBytes(path);
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(path, bytes);
        var error = await Assert.ThrowsAsync<ScoringException>(() => ModelPackage.ReadFolderAsync(folder, default));
        Assert.Equal(ScoringError.ChecksumMismatch, error.Error);
    }

    [Fact]
    public async Task Load_LabelsDoNotMatchOutput_ThrowsLabelsShapeMismatch()
    {
        var folder = TestModels.CopyLinear(_temp.Combine("p"));
        EditManifest(folder, m => m["labels"] = new JsonArray("a", "b", "c"));
        var package = await ModelPackage.ReadFolderAsync(folder, default);
        var error = Assert.Throws<ScoringException>(() => OnnxIntentModel.Load(package, 1, useCuda: false));
        Assert.Equal(ScoringError.LabelsShapeMismatch, error.Error);
        Assert.Contains("3 labels", error.Message);
    }

    [Fact]
    public async Task Read_UnknownFeaturizer_ThrowsUnknownFeaturizerNamingIt()
    {
        var folder = TestModels.CopyLinear(_temp.Combine("p"));
        EditManifest(folder, m => m["featurizer"]!["type"] = "sentencepiece");
        var error = await Assert.ThrowsAsync<ScoringException>(() => ModelPackage.ReadFolderAsync(folder, default));
        Assert.Equal(ScoringError.UnknownFeaturizer, error.Error);
        Assert.Contains("sentencepiece", error.Message);
    }

    [Fact]
    public async Task Read_WordPieceWithoutVocabularyFile_ThrowsVocabularyMissing()
    {
        var folder = TestModels.CopyTinyBert(_temp.Combine("b"));
        File.Delete(Path.Combine(folder, "vocab.txt"));
        var error = await Assert.ThrowsAsync<ScoringException>(() => ModelPackage.ReadFolderAsync(folder, default));
        Assert.Equal(ScoringError.VocabularyMissing, error.Error);
        Assert.Contains("vocab.txt", error.Message);
    }

    [Fact]
    public async Task Read_WordPieceWithoutVocabularyField_ThrowsVocabularyMissing()
    {
        var folder = TestModels.CopyTinyBert(_temp.Combine("b"));
        EditManifest(folder, m => m["featurizer"]!.AsObject().Remove("vocab"));
        var error = await Assert.ThrowsAsync<ScoringException>(() => ModelPackage.ReadFolderAsync(folder, default));
        Assert.Equal(ScoringError.VocabularyMissing, error.Error);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("{\"name\":\"x\"}")]
    public async Task Read_InvalidManifest_ThrowsManifestInvalid(string json)
    {
        var folder = TestModels.CopyLinear(_temp.Combine("p"));
        File.WriteAllText(Path.Combine(folder, "manifest.json"), json);
        var error = await Assert.ThrowsAsync<ScoringException>(() => ModelPackage.ReadFolderAsync(folder, default));
        Assert.Equal(ScoringError.ManifestInvalid, error.Error);
    }

    [Fact]
    public async Task Load_ManifestNamesMissingInput_ThrowsModelInvalidNamingInput()
    {
        var folder = TestModels.CopyLinear(_temp.Combine("p"));
        EditManifest(folder, m => m["model"]!["inputs"] = new JsonObject { ["ids"] = "token_ids" });
        var package = await ModelPackage.ReadFolderAsync(folder, default);
        var error = Assert.Throws<ScoringException>(() => OnnxIntentModel.Load(package, 1, useCuda: false));
        Assert.Equal(ScoringError.ModelInvalid, error.Error);
        Assert.Contains("token_ids", error.Message);
    }

    private static void EditManifest(string folder, Action<JsonNode> edit)
    {
        var path = Path.Combine(folder, "manifest.json");
        var node = JsonNode.Parse(File.ReadAllText(path))!;
        edit(node);
        File.WriteAllText(path, node.ToJsonString());
    }

    public void Dispose() => _temp.Dispose();
}
