namespace Verdict.Experimentation.Statistics;

/// <summary>Why a statistic could not be computed. Serialized in kebab case (<c>zero-variance</c>).</summary>
public enum UninformativeReason
{
    /// <summary>An arm has no observations for this metric.</summary>
    EmptyArm,

    /// <summary>An arm has too few observations for the test (fewer than two for a variance).</summary>
    TooFewObservations,

    /// <summary>Every observation is the same in both arms (all correct, all wrong, all equal times).</summary>
    ZeroVariance,

    /// <summary>The control's mean or rate is zero, so a relative change is undefined.</summary>
    ZeroControlMean,

    /// <summary>The ratio metric's denominator is zero in an arm.</summary>
    ZeroDenominator,

    /// <summary>An arm seen in the log is not among the planned weights.</summary>
    ArmNotInWeights,

    /// <summary>Fewer than two arms to compare.</summary>
    SingleArm,

    /// <summary>No units at all.</summary>
    NoData,

    /// <summary>The quantity is not defined for this test (for example a sequential interval for a rank test).</summary>
    NotApplicable,
}
