namespace Verdict.Experimentation.Statistics;

/// <summary>Mergeable sufficient statistics of a binary outcome: trials and successes.</summary>
/// <param name="Count">Number of trials.</param>
/// <param name="Successes">Number of successes.</param>
public readonly record struct ProportionSummary(long Count, long Successes)
{
    /// <summary>The observed rate; null when there are no trials.</summary>
    public double? Rate => Count > 0 ? (double)Successes / Count : null;

    /// <summary>Returns this summary with one more trial.</summary>
    public ProportionSummary Add(bool success) => new(Count + 1, Successes + (success ? 1 : 0));

    /// <summary>Merges two summaries of disjoint samples.</summary>
    public static ProportionSummary operator +(ProportionSummary left, ProportionSummary right) =>
        new(left.Count + right.Count, left.Successes + right.Successes);

    /// <summary>Merges two summaries of disjoint samples.</summary>
    public static ProportionSummary Add(ProportionSummary left, ProportionSummary right) => left + right;
}
