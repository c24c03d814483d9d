using System.Text.Json;
using Verdict.TestUtilities;

namespace Verdict.Cli.Tests;

/// <summary><c>verdict models learning-curve</c> and <c>verdict models distill</c>, run as a user would.</summary>
public sealed class TransferCliTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public void LearningCurve_PrintsOneRowPerSizeAndOneColumnPerArchitecture_AndWritesTheChartPage()
    {
        var page = _temp.Combine("curve.html");
        var (exit, output, err) = CliTests.Verdict("models", "learning-curve", "--data", TestModels.CorpusCsv, "--split-column", "split",
            "--architectures", "linear,encoder", "--sizes", "20,all", "--seeds", "2", "--html", page);

        Assert.True(exit == 0, err);
        var rows = output.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal)).ToList();
        Assert.Equal("| training examples | linear | encoder |", rows[0]);
        Assert.Equal(3, rows.Count);
        Assert.StartsWith("| 20 | ", rows[1], StringComparison.Ordinal);
        Assert.StartsWith("| all (", rows[2], StringComparison.Ordinal);
        var html = File.ReadAllText(page);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("<table>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void LearningCurve_Json_HasEveryPoint()
    {
        var (exit, output, err) = CliTests.Verdict("models", "learning-curve", "--data", TestModels.CorpusCsv, "--split-column", "split",
            "--architectures", "linear", "--sizes", "30,60", "--seeds", "2", "--format", "json");

        Assert.True(exit == 0, err);
        var result = JsonDocument.Parse(output).RootElement;
        Assert.Equal(4, result.GetProperty("points").GetArrayLength());
        Assert.All(result.GetProperty("summary").EnumerateArray(), s => Assert.Equal(2, s.GetProperty("seeds").GetInt32()));
    }

    [Theory]
    [InlineData("--sizes", "10,abc", "--sizes: 'abc'")]
    [InlineData("--architectures", "linear,bert", "--architectures: 'bert'")]
    [InlineData("--seeds", "0", "--seeds must be")]
    public void LearningCurve_BadOption_SaysWhichWithoutStackTrace(string option, string value, string message)
    {
        var (exit, _, err) = CliTests.Verdict("models", "learning-curve", "--data", TestModels.CorpusCsv, "--split-column", "split", option, value);
        Assert.Equal(1, exit);
        Assert.Contains(message, err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Distill_WritesAStudentWhoseManifestComparesItWithTheTeacher()
    {
        Assert.Equal(0, CliTests.Verdict("models", "train", "--data", TestModels.CorpusCsv, "--split-column", "split", "--architecture", "encoder",
            "--max-train", "50", "--name", "teacher", "--out", _temp.Combine("teacher")).Exit);

        var (exit, output, err) = CliTests.Verdict("models", "distill", "--teacher", _temp.Combine("teacher"), "--data", TestModels.CorpusCsv,
            "--split-column", "split", "--architecture", "linear", "--out", _temp.Combine("student"));

        Assert.True(exit == 0, err);
        Assert.Contains("faster than the teacher", output, StringComparison.Ordinal);
        var distillation = JsonDocument.Parse(File.ReadAllText(_temp.Combine("student", "manifest.json"))).RootElement
            .GetProperty("training").GetProperty("distillation");
        Assert.Equal("teacher@1", distillation.GetProperty("teacher").GetString());
        Assert.InRange(distillation.GetProperty("agreement").GetDouble(), 0.5, 1.0);
    }

    [Fact]
    public void Distill_MissingTeacher_NamesTheFile()
    {
        var (exit, _, err) = CliTests.Verdict("models", "distill", "--teacher", _temp.Combine("nowhere"), "--data", TestModels.CorpusCsv, "--out", _temp.Combine("s"));
        Assert.Equal(1, exit);
        Assert.Contains("manifest.json is missing", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    public void Dispose() => _temp.Dispose();
}
