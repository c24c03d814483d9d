using System.Text.Json;
using System.Text.RegularExpressions;
using Verdict.TestUtilities;

namespace Verdict.Infra.Tests;

/// <summary>
/// infra/check-bicep.sh builds and lints every template with the bicep CLI restored from NuGet and fails on
/// any warning; it passes on the real templates and fails on broken copies of them.
/// </summary>
public sealed class BicepTests : IDisposable
{
    private static readonly string Infra = Path.Combine(RepositoryPaths.Root, "infra");
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static async Task<(int Code, string Output)> CheckAsync(string folder)
    {
        var (code, stdout, stderr) = await TestProcess.RunAsync(Path.Combine(Infra, "check-bicep.sh"), [folder], TimeSpan.FromMinutes(3));
        return (code, stdout + stderr);
    }

    /// <summary>A copy of infra/bicep with <paramref name="file"/> edited.</summary>
    private string BrokenCopy(string file, Func<string, string> edit)
    {
        string copy = _dir.Combine("bicep");
        foreach (string source in Directory.GetFiles(Path.Combine(Infra, "bicep"), "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(copy, Path.GetRelativePath(Path.Combine(Infra, "bicep"), source));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target);
        }
        string path = Path.Combine(copy, file);
        string before = File.ReadAllText(path);
        string after = edit(before);
        Assert.NotEqual(before, after);
        File.WriteAllText(path, after);
        return copy;
    }

    [Fact]
    public async Task TheTemplates_BuildAndLintWithoutAWarning()
    {
        var (code, output) = await CheckAsync(Path.Combine(Infra, "bicep"));

        Assert.True(code == 0, output);
        Assert.Matches(@"\d+ Bicep files: built and linted, no warnings", output);
    }

    [Fact]
    public async Task AMisspelledProperty_WhichBicepOnlyWarnsAbout_FailsTheCheck()
    {
        string broken = BrokenCopy("modules/storage.bicep", s => s.Replace("minimumTlsVersion:", "minimumTlsVersionn:", StringComparison.Ordinal));

        var (code, output) = await CheckAsync(broken);

        Assert.Equal(1, code);
        Assert.Contains("storage.bicep", output, StringComparison.Ordinal);
        Assert.Contains("Warning BCP089", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ALinterWarning_FailsTheCheck()
    {
        string broken = BrokenCopy("modules/roles.bicep", s => s.Replace("param roleIds array", "param roleIds array\nparam unused string = 'x'", StringComparison.Ordinal));

        var (code, output) = await CheckAsync(broken);

        Assert.Equal(1, code);
        Assert.Contains("no-unused-params", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Storage_HasEveryQueueTheFunctionsNameAndItsPoisonQueue_AndEveryContainerTheAppUses()
    {
        string storage = File.ReadAllText(Path.Combine(Infra, "bicep", "modules", "storage.bicep"));
        string List(string name) => Regex.Match(storage, $@"var {name} = \[(?<items>[^\]]*)\]").Groups["items"].Value;
        var queues = Regex.Matches(List("queues"), "'([a-z-]+)'").Select(m => m.Groups[1].Value).ToHashSet();
        var containers = Regex.Matches(List("containers"), "'([a-z-]+)'").Select(m => m.Groups[1].Value).ToHashSet();

        var named = Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "src", "Functions", "app"), "function.json", SearchOption.AllDirectories)
            .SelectMany(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement.GetProperty("bindings").EnumerateArray())
            .Where(b => b.TryGetProperty("queueName", out _))
            .Select(b => b.GetProperty("queueName").GetString()!)
            .ToHashSet();

        Assert.NotEmpty(named);
        Assert.Subset(queues, named);
        Assert.Contains("map(queues, q => '${q}-poison')", storage, StringComparison.Ordinal);
        Assert.Subset(containers, new HashSet<string> { "models", "events", "experiments" });
        Assert.Contains("allowSharedKeyAccess: false", storage, StringComparison.Ordinal);
    }
}
