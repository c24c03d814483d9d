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

    /// <summary>
    /// Predictions by model and predicted intent: each intent's share of a model's predictions over a window is its
    /// live intent mix, the quantity whose shift (PSI) <c>verdict models drift</c> measures; alert on a share that moves.
    /// </summary>
    internal static readonly Counter<long> Predictions = Meter.CreateCounter<long>("verdict.predictions", "{email}", "Predictions by model and intent");

    /// <summary>The confidence of each prediction, by model: a falling mean is an early sign of drift, before outcomes arrive.</summary>
    internal static readonly Histogram<double> Confidence = Meter.CreateHistogram<double>("verdict.prediction.confidence", null, "Confidence of each prediction, by model");

    /// <summary>The recent predictions behind the drift gauges.</summary>
    internal static readonly PredictionWindow Window = new();

    /// <summary>Mean confidence of each model's last 1,000 predictions: a gauge to alert on when it falls.</summary>
    internal static readonly ObservableGauge<double> WindowConfidence = Meter.CreateObservableGauge("verdict.model.confidence.mean", Window.MeanConfidence, null, "Mean confidence of a model's last 1,000 predictions");

    /// <summary>Each intent's share of each model's last 1,000 predictions: a gauge to alert on when it moves.</summary>
    internal static readonly ObservableGauge<double> WindowIntentShare = Meter.CreateObservableGauge("verdict.model.intent.share", Window.IntentShares, null, "Share of an intent in a model's last 1,000 predictions");

    /// <summary>Emails the control's model answered because the GPU service could not.</summary>
    internal static readonly Counter<long> GpuFallbacks = Meter.CreateCounter<long>("verdict.gpu.fallbacks", "{email}", "Emails scored by the fallback model");

    /// <summary>Time a shadow model took to score one email, off the served request.</summary>
    internal static readonly Histogram<double> ShadowDuration = Meter.CreateHistogram<double>("verdict.shadow.duration", "ms", "Time a shadow model took to score one email");

    /// <summary>Emails left unshadowed because the shadow queue was full: shadowing falls behind serving.</summary>
    internal static readonly Counter<long> ShadowDropped = Meter.CreateCounter<long>("verdict.shadow.dropped", "{email}", "Emails left unshadowed because the queue was full");

    /// <summary>Shadow predictions that could not be made (the model is missing, or the GPU service did not answer).</summary>
    internal static readonly Counter<long> ShadowFailed = Meter.CreateCounter<long>("verdict.shadow.failed", "{prediction}", "Shadow predictions that could not be made");
}
