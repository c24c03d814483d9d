using Verdict.Training.Onnx;
using Verdict.TestUtilities;

namespace Verdict.Training.Tests.Encoders;

/// <summary>int8 weights: a quarter of the size, the model's own metrics, and what serving scores is what was measured.</summary>
public sealed class Int8Tests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private TrainingResult Train(ModelArchitecture architecture, WeightPrecision precision, string output) =>
        IntentTrainer.Train(new TrainingOptions
        {
            DataPath = TestModels.CorpusCsv, SplitColumn = "split", OutputDirectory = _temp.Combine(output), Architecture = architecture,
            Buckets = 4096, Epochs = 5, EmbeddingDimension = 64, HiddenUnits = 16, MaxTrain = 200, Precision = precision,
        });

    [Theory]
    [InlineData(ModelArchitecture.Linear, 0.5)] // 5 labels: a row of 5 int8 weights carries a 4-byte scale
    [InlineData(ModelArchitecture.Mlp, 0.3)]
    [InlineData(ModelArchitecture.Encoder, 0.7)]
    [InlineData(ModelArchitecture.Hybrid, 0.7)]
    public void Train_Int8_IsSmaller_KeepsTheFloatAccuracyBeside_AndServingScoresWhatWasMeasured(ModelArchitecture architecture, double maxSizeRatio)
    {
        var fp32 = Train(architecture, WeightPrecision.Fp32, "fp32");
        var int8 = Train(architecture, WeightPrecision.Quantized8, "int8");

        var ratio = new FileInfo(_temp.Combine("int8", "model.onnx")).Length / (double)new FileInfo(_temp.Combine("fp32", "model.onnx")).Length;
        Assert.True(ratio < maxSizeRatio, $"int8 is {ratio:P0} of fp32");
        Assert.Equal("int8", int8.Manifest.Training!.Precision);
        Assert.Equal(fp32.Manifest.Metrics!.Accuracy, int8.Manifest.Training.Fp32Accuracy);
        Assert.InRange(int8.Manifest.Metrics!.Accuracy, fp32.Manifest.Metrics.Accuracy - 0.02, 1.0);
        // The manifest's metrics are the int8 model's own, as served: serving agrees with every one of its predictions.
        Assert.Equal(int8.ServingChecked, int8.ServingAgreements);
    }

    [Fact]
    public void QuantizeColumnsAndRows_RoundTripWithinHalfAStep()
    {
        var random = new Random(3);
        var values = Enumerable.Range(0, 12 * 7).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
        values[5] = 0;
        var (byColumn, columnScales) = DynamicQuantizer.QuantizeColumns(values, 12, 7);
        var (byRow, rowScales) = DynamicQuantizer.QuantizeRows(values, 12, 7);
        for (var r = 0; r < 12; r++)
        {
            for (var c = 0; c < 7; c++)
            {
                var i = (r * 7) + c;
                Assert.InRange(Math.Abs((byColumn[i] * columnScales[c]) - values[i]), 0, (columnScales[c] / 2) + 1e-6);
                Assert.InRange(Math.Abs((byRow[i] * rowScales[r]) - values[i]), 0, (rowScales[r] / 2) + 1e-6);
            }
        }
        Assert.Equal(127, Enumerable.Range(0, 7).Max(c => Enumerable.Range(0, 12).Max(r => Math.Abs((int)byColumn[(r * 7) + c]))));
    }

    public void Dispose() => _temp.Dispose();
}
