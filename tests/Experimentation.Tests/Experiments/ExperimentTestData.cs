using Verdict.Experimentation.Experiments;

namespace Verdict.Experimentation.Tests.Experiments;

internal static class ExperimentTestData
{
    public static ExperimentDefinition Model(string id, double controlWeight = 0.5, string seed = "seed-1") => new()
    {
        Id = id,
        Arms =
        [
            new ArmDefinition("champion", controlWeight, "intent@1"),
            new ArmDefinition("challenger", 1 - controlWeight, "intent@2"),
        ],
        Baseline = 0.8,
        MinimumDetectableEffect = 0.03,
        Seed = seed,
    };
}
