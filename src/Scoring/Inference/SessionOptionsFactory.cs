using Microsoft.ML.OnnxRuntime;

namespace Verdict.Scoring.Inference;

/// <summary>
/// Session options for serving. One intra-op thread: requests already run in parallel on the host's
/// threads, and more threads per call fight Kestrel for the same cores (measured: 1 is fastest on 2
/// cores). Sequential execution: these graphs are chains, so the parallel executor only adds overhead.
/// All graph optimizations: they are applied once at load. The memory arena stays on so repeated calls
/// reuse buffers.
/// </summary>
internal static class SessionOptionsFactory
{
    public static SessionOptions Create(int intraOpThreads, bool useCuda)
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = intraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            EnableCpuMemArena = true,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (useCuda)
        {
            options.AppendExecutionProvider_CUDA(0);
        }
        return options;
    }
}
