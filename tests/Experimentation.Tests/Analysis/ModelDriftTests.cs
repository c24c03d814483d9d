using Verdict.Experimentation.Analysis;

namespace Verdict.Experimentation.Tests.Analysis;

public sealed class ModelDriftTests
{
    [Fact]
    public void Psi_MatchesNumpy_WithAnIntentMissingOnOneSide()
    {
        // keys = a b c d; p = max(1e-4, [0.5, 0.3, 0.2, 0]); q = max(1e-4, [0.4, 0.4, 0.1, 0.1]);
        // numpy.sum((p - q) * numpy.log(p / q)) -> 0.8104820328029091
        double psi = ModelDrift.Psi(
            new Dictionary<string, double> { ["a"] = 0.5, ["b"] = 0.3, ["c"] = 0.2 },
            new Dictionary<string, double> { ["a"] = 0.4, ["b"] = 0.4, ["c"] = 0.1, ["d"] = 0.1 });
        Assert.Equal(0.8104820328029091, psi, 1e-12);
    }

    [Fact]
    public void Psi_SameMix_IsZero()
    {
        var mix = new Dictionary<string, double> { ["a"] = 0.7, ["b"] = 0.3 };
        Assert.Equal(0, ModelDrift.Psi(mix, mix));
    }
}
