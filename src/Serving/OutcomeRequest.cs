namespace Verdict.Serving;

/// <summary>What the rep did with a scored email (Contract 4): the true intent, the handling time, or both.</summary>
/// <param name="ScoringId">The scoring id it answers; required.</param>
/// <param name="TrueIntent">The intent the rep settled on.</param>
/// <param name="HandlingSeconds">The seconds the rep spent (≥ 0).</param>
/// <param name="Experiment">The experiment, when the caller knows it; else taken from the remembered answer.</param>
public sealed record OutcomeRequest(string? ScoringId, string? TrueIntent, double? HandlingSeconds, string? Experiment);
