using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Verdict.Serving;

/// <summary>
/// The service's traces and metrics. Tags carry experiment, arm and model names, never email text. They cost
/// next to nothing until something listens; the host decides whether to export them.
/// </summary>
public static class ServingTelemetry
{
    /// <summary>The name of the service's activity source and meter.</summary>
    public const string Name = "Verdict.Serving";

    internal static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    /// <summary>Time to assign and score one email, by experiment, arm and model.</summary>
    internal static readonly Histogram<double> ScoreDuration = Meter.CreateHistogram<double>("verdict.score.duration", "ms", "Time to assign an arm and score one email");

    /// <summary>Emails the control's model answered because the GPU service could not.</summary>
    internal static readonly Counter<long> GpuFallbacks = Meter.CreateCounter<long>("verdict.gpu.fallbacks", "{email}", "Emails scored by the fallback model");
}
