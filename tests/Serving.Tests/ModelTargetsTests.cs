using Verdict.Scoring;
using Verdict.Scoring.Hosting;
using Verdict.TestUtilities;

namespace Verdict.Serving.Tests;

/// <summary>Which published versions go to the GPU service, as the registry lists them.</summary>
public sealed class ModelTargetsTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task IsGpu_VersionPublishedAfterItWasAskedFor_IsRoutedToTheGpuOnceTheRelistIntervalHasPassed()
    {
        using var temp = new TempDirectory();
        using var runtime = ScoringRuntime.Create(new ScoringOptions { BlobConnectionString = azurite.ConnectionString });
        await runtime.Registry.PublishAsync(TestModels.CopyLinear(temp.Combine("p1"), "1"));
        var clock = new ManualTimeProvider();
        var targets = new ModelTargets(runtime, clock);
        Assert.False(await targets.IsGpuAsync(ModelReference.Parse("replies@1"), CancellationToken.None));
        Assert.False(await targets.IsGpuAsync(ModelReference.Parse("replies@2"), CancellationToken.None));

        await runtime.Registry.PublishAsync(TestModels.CopyLinear(temp.Combine("p2"), "2", "gpu"));
        // Within the interval the registry is not listed again, however many unknown references arrive.
        clock.Advance(ModelTargets.Relist / 2);
        Assert.False(await targets.IsGpuAsync(ModelReference.Parse("replies@2"), CancellationToken.None));
        clock.Advance(ModelTargets.Relist / 2);

        Assert.True(await targets.IsGpuAsync(ModelReference.Parse("replies@2"), CancellationToken.None));
        Assert.False(await targets.IsGpuAsync(ModelReference.Parse("replies@1"), CancellationToken.None));
    }
}
