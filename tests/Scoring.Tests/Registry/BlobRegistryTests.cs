using Verdict.Scoring.Registry;
using Verdict.TestUtilities;

namespace Verdict.Scoring.Tests.Registry;

[CollectionDefinition(nameof(AzuriteCollection))]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>;

[Collection(nameof(AzuriteCollection))]
public sealed class BlobRegistryTests(AzuriteFixture azurite) : RegistryBehaviour
{
    private readonly string _container = "models-" + Guid.NewGuid().ToString("N")[..12];

    private protected override IModelStore CreateStore() => new BlobModelStore(azurite.Container(_container));

    protected override async Task CorruptAsync(string name, string version, string file, byte[] content) =>
        await azurite.Container(_container).GetBlobClient($"{name}/{version}/{file}").UploadAsync(BinaryData.FromBytes(content), overwrite: true);

    [Fact]
    public async Task Publish_WritesTheContractLayout()
    {
        await NewRuntime().Registry.PublishAsync(TestModels.CopyLinear(Temp.Combine("p1")));
        var names = new List<string>();
        await foreach (var blob in azurite.Container(_container).GetBlobsAsync())
        {
            names.Add(blob.Name);
        }
        Assert.Equal(["replies/1/manifest.json", "replies/1/model.onnx"], names.Order());
    }
}
