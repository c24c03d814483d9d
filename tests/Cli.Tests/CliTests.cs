using System.Diagnostics;
using Verdict.TestUtilities;

namespace Verdict.Cli.Tests;

/// <summary>Runs the real <c>verdict</c> executable as a user would.</summary>
public sealed class CliTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    internal static (int Exit, string Out, string Err) Verdict(params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "verdict"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result, errors.Result);
    }

    [Fact]
    public void Train_CsvWithEmptyLabel_PrintsFileAndLineWithoutStackTrace()
    {
        var data = _temp.Combine("bad.csv");
        File.WriteAllText(data, "text,label\nhello,positive\nbye,\n");
        var (exit, _, err) = Verdict("models", "train", "--data", data, "--out", _temp.Combine("m"));
        Assert.Equal(1, exit);
        Assert.StartsWith($"error: {data}:3:", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void Train_MissingColumn_NamesTheOption()
    {
        var data = _temp.Combine("bad.csv");
        File.WriteAllText(data, "body,label\nhello,positive\n");
        var (exit, _, err) = Verdict("models", "train", "--data", data, "--out", _temp.Combine("m"));
        Assert.Equal(1, exit);
        Assert.Contains("--text-column", err);
    }

    [Fact]
    public void TrainPublishListScore_DemoCorpus_Works()
    {
        var registry = _temp.Combine("registry");
        Assert.Equal(0, Verdict("models", "train", "--data", TestModels.CorpusCsv, "--split-column", "split", "--out", _temp.Combine("m"),
            "--name", "demo", "--version", "3", "--buckets", "4096", "--epochs", "3").Exit);
        Assert.Equal(0, Verdict("models", "publish", "--registry", registry, "--package", _temp.Combine("m")).Exit);
        var (exit, output, _) = Verdict("models", "list", "--registry", registry);
        Assert.Equal(0, exit);
        Assert.Contains("demo@3", output);
        var score = Verdict("models", "score", "--registry", registry, "--model", "demo", "--text", "Remove me from your list");
        Assert.Equal(0, score.Exit);
        Assert.Contains("\"model\": \"demo@3\"", score.Out);
    }

    [Fact]
    public void Score_UnknownModel_ExitsOneWithTypedError()
    {
        var (exit, _, err) = Verdict("models", "score", "--registry", _temp.Path, "--model", "ghost@1", "--text", "hi");
        Assert.Equal(1, exit);
        Assert.Contains("ModelNotFound", err);
    }

    [Fact]
    public void Publish_CorruptPackage_ExitsOneWithChecksumMismatch()
    {
        var package = TestModels.CopyLinear(_temp.Combine("p"));
        File.AppendAllText(Path.Combine(package, "model.onnx"), "x");
        var (exit, _, err) = Verdict("models", "publish", "--registry", _temp.Combine("r"), "--package", package);
        Assert.Equal(1, exit);
        Assert.Contains("ChecksumMismatch", err);
        Assert.False(Directory.Exists(_temp.Combine("r", "replies")));
    }

    public void Dispose() => _temp.Dispose();
}
