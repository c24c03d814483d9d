using MathNet.Numerics.Distributions;

namespace Verdict.Experimentation.Statistics;

/// <summary>
/// Probability to be best and expected loss for each arm from independent Beta(1 + s, 1 + f) posteriors
/// (uniform prior), by seeded Monte Carlo.
/// </summary>
/// <remarks>
/// With the default <see cref="DefaultDraws"/> = 200,000 draws the standard error of a probability is at most
/// 0.5/√200000 ≈ 0.0011, so a reported 0.95 is within ±0.003 of the exact value with 99% confidence; the
/// expected loss's standard error is below 0.001 × its posterior spread. The same seed gives the same numbers.
/// </remarks>
internal static class BetaPosterior
{
    public const int DefaultDraws = 200_000;

    public static IReadOnlyList<BayesianArmResult> Compute(
        IReadOnlyList<string> arms, IReadOnlyList<ProportionSummary> summaries, int seed, int draws = DefaultDraws)
    {
        ArgumentNullException.ThrowIfNull(arms);
        ArgumentNullException.ThrowIfNull(summaries);
        int k = arms.Count;
        // One generator per arm, seeded from the experiment seed and the arm's position, so that adding
        // draws for one arm never shifts another arm's stream.
        var posteriors = Enumerable.Range(0, k)
            .Select(a => new Beta(1 + summaries[a].Successes, 1 + summaries[a].Count - summaries[a].Successes, new Random(unchecked(seed + (a * 7919)))))
            .ToArray();

        var wins = new long[k];
        var loss = new double[k];
        var sample = new double[k];
        for (int d = 0; d < draws; d++)
        {
            double best = double.NegativeInfinity;
            int bestArm = 0;
            for (int a = 0; a < k; a++)
            {
                sample[a] = posteriors[a].Sample();
                if (sample[a] > best)
                {
                    best = sample[a];
                    bestArm = a;
                }
            }
            wins[bestArm]++;
            for (int a = 0; a < k; a++)
            {
                loss[a] += best - sample[a];
            }
        }
        return Enumerable.Range(0, k).Select(a => new BayesianArmResult(arms[a], (double)wins[a] / draws, loss[a] / draws)).ToList();
    }
}
