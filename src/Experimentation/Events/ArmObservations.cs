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

    public ProportionSummary Replies { get; set; }

    public ProportionSummary PositiveReplies { get; set; }

    public RatioSummary RepliesByUnit { get; set; }

    public RatioSummary PositiveRepliesByUnit { get; set; }

    /// <summary>Email-level counts per UTC day of exposure, day 0 being the day of the experiment's first exposure.</summary>
    public List<DayCounts> Days { get; } = [];
}

/// <summary>One arm's exposures, labelled emails and replies of one day.</summary>
internal readonly record struct DayCounts(long Exposures, ProportionSummary Accuracy, ProportionSummary PositiveReplies);
