using Verdict.Scoring.Packages;

namespace Verdict.Training.Evaluation;

internal static class ClassificationMetrics
{
    /// <summary>Accuracy, per-class and macro F1 (a class never predicted nor present counts as F1 0) and the confusion matrix.</summary>
    public static ModelMetrics Compute(IReadOnlyList<string> labels, ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted, string split)
    {
        var k = labels.Count;
        var confusion = new int[k][];
        for (var i = 0; i < k; i++)
        {
            confusion[i] = new int[k];
        }
        var correct = 0;
        for (var i = 0; i < truth.Length; i++)
        {
            confusion[truth[i]][predicted[i]]++;
            if (truth[i] == predicted[i])
            {
                correct++;
            }
        }
        var f1 = new Dictionary<string, double>(StringComparer.Ordinal);
        double sum = 0;
        for (var c = 0; c < k; c++)
        {
            var tp = confusion[c][c];
            var predictedC = 0;
            var actualC = 0;
            for (var o = 0; o < k; o++)
            {
                predictedC += confusion[o][c];
                actualC += confusion[c][o];
            }
            var score = predictedC + actualC == 0 ? 0.0 : 2.0 * tp / (predictedC + actualC);
            f1[labels[c]] = Math.Round(score, 6);
            sum += score;
        }
        return new ModelMetrics
        {
            Split = split,
            Examples = truth.Length,
            Accuracy = truth.Length == 0 ? 0 : Math.Round((double)correct / truth.Length, 6),
            MacroF1 = Math.Round(sum / k, 6),
            PerClassF1 = f1,
            ConfusionMatrix = confusion,
        };
    }
}
