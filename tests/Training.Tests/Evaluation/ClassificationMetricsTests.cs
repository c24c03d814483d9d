using Verdict.Training.Evaluation;

namespace Verdict.Training.Tests.Evaluation;

public sealed class ClassificationMetricsTests
{
    [Fact]
    public void Compute_KnownPredictions_MatchesHandComputedF1()
    {
        // y=[0,0,0,1,1,2], p=[0,0,1,1,2,2]; F1 = 2·TP / (predicted + actual):
        // a: 2·2/(2+3) = 0.8; b: 2·1/(2+2) = 0.5; c: 2·1/(2+1) = 0.666667; macro = 0.655556; accuracy = 4/6.
        var metrics = ClassificationMetrics.Compute(["a", "b", "c"], [0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], "test");
        Assert.Equal(0.666667, metrics.Accuracy, 6);
        Assert.Equal(0.8, metrics.PerClassF1["a"], 6);
        Assert.Equal(0.5, metrics.PerClassF1["b"], 6);
        Assert.Equal(0.666667, metrics.PerClassF1["c"], 6);
        Assert.Equal(0.655556, metrics.MacroF1, 6);
        Assert.Equal([2, 1, 0], metrics.ConfusionMatrix[0]);
        Assert.Equal([0, 1, 1], metrics.ConfusionMatrix[1]);
    }
}
