using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace Verdict.Scoring.Inference;

/// <summary>Decides once, at start-up, whether sessions run on CUDA or the CPU.</summary>
internal static class ExecutionProviderSelector
{
    public const string CudaProvider = "CUDAExecutionProvider";

    /// <summary>Whether this ONNX Runtime build offers the CUDA provider.</summary>
    public static bool CudaAvailable() => OrtEnv.Instance().GetAvailableProviders().Contains(CudaProvider);

    /// <summary>True for CUDA. Throws for <see cref="ExecutionProviderKind.Cuda"/> when this build of ONNX Runtime lacks it.</summary>
    public static bool UseCuda(ExecutionProviderKind kind, ILogger logger, IReadOnlyCollection<string>? available = null)
    {
        if (kind == ExecutionProviderKind.Cpu)
        {
            return false;
        }
        available ??= OrtEnv.Instance().GetAvailableProviders();
        var hasCuda = available.Contains(CudaProvider);
        if (hasCuda)
        {
            return true;
        }
        if (kind == ExecutionProviderKind.Cuda)
        {
            throw new ScoringException(
                ScoringError.ExecutionProviderUnavailable,
                $"Scoring:ExecutionProvider is 'cuda', but this ONNX Runtime build offers only {string.Join(", ", available)}. " +
                "Install the GPU build of ONNX Runtime (Microsoft.ML.OnnxRuntime.Gpu) or set Scoring:ExecutionProvider to 'cpu' or 'cuda-or-cpu'.");
        }
        logger.LogWarning("Scoring:ExecutionProvider is 'cuda-or-cpu' and CUDA is not available ({Providers}); models run on the CPU.", string.Join(", ", available));
        return false;
    }
}
