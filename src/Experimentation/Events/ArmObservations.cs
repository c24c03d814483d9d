using Verdict.Experimentation.Statistics;

namespace Verdict.Experimentation.Events;

/// <summary>Per-arm sufficient statistics built from the log, for one experiment and phase.</summary>
internal sealed class ArmObservations(string name)
{
    public string Name { get; } = name;

    public long Exposures { get; set; }

    public long Units { get; set; }

    public SortedSet<string> Models { get; } = new(StringComparer.Ordinal);

    /// <summary>Labelled emails: correct or not.</summary>
    public ProportionSummary Accuracy { get; set; }

    /// <summary>Per unit: correct emails (x) over labelled emails (y).</summary>
    public RatioSummary AccuracyByUnit { get; set; }

    public MeanSummary Handling { get; set; }

    public MeanSummary HandlingLog { get; set; }

    /// <summary>Per unit: handling seconds (x) over emails with a handling time (y).</summary>
    public RatioSummary HandlingByUnit { get; set; }

    /// <summary>Handling seconds per email, or the mean per unit when units have several emails.</summary>
    public List<double> HandlingValues { get; } = [];

    /// <summary>A partial aggregate's per-unit mean handling times, kept beside the emails' (<see cref="HandlingValues"/>) until the merge knows which the analysis reads.</summary>
    public List<double> UnitHandlingMeans { get; } = [];

    public ProportionSummary Replies { get; set; }

    public ProportionSummary PositiveReplies { get; set; }

    public RatioSummary RepliesByUnit { get; set; }

    public RatioSummary PositiveRepliesByUnit { get; set; }

    /// <summary>Email-level counts per UTC day of exposure, day 0 being the day of the experiment's first exposure.</summary>
    public List<DayCounts> Days { get; } = [];

    /// <summary>Labelled emails by true intent (row) and predicted intent (column), over <see cref="ExperimentObservations.Intents"/>; row-major.</summary>
    public long[] Confusion { get; set; } = [];

    /// <summary>Labelled emails with a confidence, by confidence decile: how many, their summed confidence and how many were right.</summary>
    public CalibrationBin[] Calibration { get; } = new CalibrationBin[CalibrationBin.Bins];

    /// <summary>Per labelled email with a confidence: (confidence − correct)², the top-label Brier score's terms.</summary>
    public MeanSummary Brier { get; set; }

    /// <summary>Emails with a handling time and a pre-experiment covariate: x the covariate, y the seconds (CUPED's inputs).</summary>
    public RatioSummary CupedHandling { get; set; }

    /// <summary>Seconds from exposure to outcome, for every exposure with an outcome.</summary>
    public DelayHistogram OutcomeDelays { get; } = new();
}

/// <summary>One confidence bin: [k/10, (k+1)/10), the last one closed.</summary>
internal record struct CalibrationBin(long Count, double ConfidenceSum, long Correct)
{
    public const int Bins = 10;

    public static int Of(double confidence) => Math.Min(Bins - 1, (int)(confidence * Bins));
}

/// <summary>One arm's exposures, labelled emails and replies of one day.</summary>
internal readonly record struct DayCounts(long Exposures, ProportionSummary Accuracy, ProportionSummary PositiveReplies);
