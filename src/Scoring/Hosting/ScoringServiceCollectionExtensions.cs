using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Verdict.Scoring.Inference;
using Verdict.Scoring.Registry;

namespace Verdict.Scoring.Hosting;

/// <summary>Registers the scoring library.</summary>
public static class ScoringServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="IIntentScorer"/> and <see cref="IModelRegistry"/>, bound to the configuration
    /// section <paramref name="sectionName"/> and validated at start-up (including the execution provider).
    /// </summary>
    public static IServiceCollection AddScoring(this IServiceCollection services, string sectionName = "Scoring")
    {
        services.AddOptions<ScoringOptions>()
            .BindConfiguration(sectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.HasModelSource, ScoringOptions.NoModelSourceMessage)
            .Validate(o => o.ExecutionProvider != ExecutionProviderKind.Cuda || ExecutionProviderSelector.CudaAvailable(),
                $"{sectionName}:ExecutionProvider is 'cuda', but this ONNX Runtime build has no CUDA provider; use 'cpu' or 'cuda-or-cpu'.")
            .ValidateOnStart();
        services.AddSingleton(sp => ScoringRuntime.Create(
            sp.GetRequiredService<IOptions<ScoringOptions>>().Value,
            sp.GetService<ILoggerFactory>(),
            sp.GetService<TimeProvider>()));
        services.AddSingleton(sp => sp.GetRequiredService<ScoringRuntime>().Scorer);
        services.AddSingleton(sp => sp.GetRequiredService<ScoringRuntime>().Registry);
        return services;
    }
}
