namespace Verdict.Experimentation.Statistics;

/// <summary>Posterior summary of one arm's rate under a Beta(1 + successes, 1 + failures) posterior.</summary>
/// <param name="Arm">The arm.</param>
/// <param name="ProbabilityBest">Posterior probability that this arm has the highest rate.</param>
/// <param name="ExpectedLoss">Posterior expected shortfall, E[max over arms of rate − this arm's rate], in rate units.</param>
public sealed record BayesianArmResult(string Arm, double ProbabilityBest, double ExpectedLoss);
