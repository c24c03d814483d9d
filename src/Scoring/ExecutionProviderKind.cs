namespace Verdict.Scoring;

/// <summary>Where ONNX Runtime runs the models.</summary>
public enum ExecutionProviderKind
{
    /// <summary>The CPU provider.</summary>
    Cpu,
    /// <summary>CUDA; start-up fails when this ONNX Runtime build has no CUDA provider.</summary>
    Cuda,
    /// <summary>CUDA when available, otherwise the CPU (the fallback is logged once at start-up).</summary>
    CudaOrCpu,
}
