using Verdict.Training;
using Verdict.Training.Demo;

namespace Verdict.TestUtilities;

/// <summary>
/// Small model packages built from the project's own synthetic corpus, once per test process and
/// copied per test (packages are folders; tests may corrupt their copy).
/// </summary>
public static class TestModels
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var root = Path.Combine(Path.GetTempPath(), "verdict-test-models", Guid.NewGuid().ToString("N"));
        var corpus = Path.Combine(root, "corpus.csv");
        DemoCorpus.Write(corpus, rowsPerLabel: 120, seed: 5);
        IntentTrainer.Train(new TrainingOptions
        {
            DataPath = corpus, SplitColumn = "split", OutputDirectory = Path.Combine(root, "linear"),
            Name = "replies", Version = "1", Buckets = 4096, Epochs = 6,
        });
        TinyBertBuilder.Write(Path.Combine(root, "bert"), DemoCorpus.Labels, DemoCorpus.Samples(200, 3), "tiny-bert", "1", maxLength: 16);
        TinyBertBuilder.Write(Path.Combine(root, "bert32"), DemoCorpus.Labels, DemoCorpus.Samples(200, 3), "tiny-bert-32", "1", maxLength: 16, int32Inputs: true);
        return root;
    });

    public static string CorpusCsv => Path.Combine(Root.Value, "corpus.csv");

    /// <summary>Copies the linear package (<c>replies@1</c>) into <paramref name="destination"/>, optionally as another version.</summary>
    public static string CopyLinear(string destination, string? version = null) => Copy("linear", destination, version);

    /// <summary>Copies the linear package as <paramref name="version"/> with its manifest's <c>target</c> set (e.g. <c>gpu</c>).</summary>
    public static string CopyLinear(string destination, string version, string target)
    {
        Copy("linear", destination, version);
        var manifestPath = Path.Combine(destination, "manifest.json");
        var manifest = Scoring.Packages.ManifestJson.Deserialize(File.ReadAllBytes(manifestPath), manifestPath) with { Target = target };
        File.WriteAllBytes(manifestPath, Scoring.Packages.ManifestJson.Serialize(manifest));
        return destination;
    }

    /// <summary>Copies the tiny BERT package (<c>tiny-bert@1</c>, wordpiece, max length 16) into <paramref name="destination"/>.</summary>
    public static string CopyTinyBert(string destination) => Copy("bert", destination, null);

    /// <summary>Copies the same tiny BERT with int32 inputs (<c>tiny-bert-32@1</c>) into <paramref name="destination"/>.</summary>
    public static string CopyTinyBertInt32(string destination) => Copy("bert32", destination, null);

    private static string Copy(string package, string destination, string? version)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.GetFiles(Path.Combine(Root.Value, package)))
        {
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)), overwrite: true);
        }
        if (version is not null)
        {
            var manifestPath = Path.Combine(destination, "manifest.json");
            var manifest = Scoring.Packages.ManifestJson.Deserialize(File.ReadAllBytes(manifestPath), manifestPath) with { Version = version };
            File.WriteAllBytes(manifestPath, Scoring.Packages.ManifestJson.Serialize(manifest));
        }
        return destination;
    }
}
