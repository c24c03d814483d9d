using Verdict.Scoring.Registry;

namespace Verdict.Scoring.Tests.Registry;

public sealed class LocalRegistryTests : RegistryBehaviour
{
    private protected override IModelStore CreateStore() => new LocalModelStore(Temp.Combine("registry"));

    protected override Task CorruptAsync(string name, string version, string file, byte[] content) =>
        File.WriteAllBytesAsync(Temp.Combine("registry", name, version, file), content);

    [Fact]
    public async Task Publish_LeavesNoStagingFolderBehind()
    {
        await NewRuntime().Registry.PublishAsync(Verdict.TestUtilities.TestModels.CopyLinear(Temp.Combine("p1")));
        Assert.Equal(["1"], Directory.GetDirectories(Temp.Combine("registry", "replies")).Select(Path.GetFileName));
    }
}
