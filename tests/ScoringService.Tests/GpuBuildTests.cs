using Verdict.TestUtilities;

namespace Verdict.ScoringService.Tests;

/// <summary>
/// The scoring service's GPU image builds with <c>-p:OnnxRuntimeFlavor=Gpu</c> (Microsoft.ML.OnnxRuntime.Gpu): that
/// build compiles and carries the CUDA execution provider, here on a machine without a GPU. (Running it needs one:
/// bench/gpu-encoder.sh.)
/// </summary>
public sealed class GpuBuildTests
{
    [Fact]
    public async Task TheGpuBuild_CompilesAndCarriesTheCudaProvider()
    {
        using var temp = new TempDirectory();
        var (code, stdout, stderr) = await TestProcess.RunAsync("dotnet",
        [
            "build", Path.Combine(RepositoryPaths.Root, "src", "ScoringService", "ScoringService.csproj"), "-c", "Release",
            "-p:OnnxRuntimeFlavor=Gpu", "--artifacts-path", temp.Combine("artifacts"), "--nologo",
        ], TimeSpan.FromMinutes(10));

        Assert.True(code == 0, stdout + stderr);
        var output = Directory.GetFiles(temp.Combine("artifacts", "bin"), "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.Contains("Verdict.ScoringService.dll", output);
        Assert.Contains("libonnxruntime_providers_cuda.so", output);
    }
}
