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

        // What the Functions host reads: the metadata the worker SDK generates from the [Function] attributes.
        string metadata = Path.Combine(Path.GetDirectoryName(RepositoryPaths.BuiltProgram("Functions"))!, "functions.metadata");
        var named = JsonDocument.Parse(File.ReadAllText(metadata)).RootElement.EnumerateArray()
            .SelectMany(f => f.GetProperty("bindings").EnumerateArray())
            .Where(b => b.TryGetProperty("queueName", out _))
            .Select(b => b.GetProperty("queueName").GetString()!)
            .ToHashSet();

        Assert.NotEmpty(named);
        Assert.Subset(queues, named);
        Assert.Contains("map(queues, q => '${q}-poison')", storage, StringComparison.Ordinal);
        Assert.Subset(containers, new HashSet<string> { "models", "events", "experiments", "bodies" });
        // Kept email text is deleted by the account itself after the retention.
        Assert.Matches(@"prefixMatch: \['bodies/'\][\s\S]*daysAfterCreationGreaterThan: bodyRetentionDays", storage);
        Assert.Contains("allowSharedKeyAccess: false", storage, StringComparison.Ordinal);
    }

    /// <summary>Every resource of the compiled deployment, nested modules' included.</summary>
    private static IEnumerable<JsonElement> Resources(JsonElement template)
    {
        var resources = template.GetProperty("resources");
        var list = resources.ValueKind == JsonValueKind.Object ? resources.EnumerateObject().Select(p => p.Value) : resources.EnumerateArray();
        foreach (var resource in list)
        {
            yield return resource;
            if (resource.GetProperty("type").GetString() == "Microsoft.Resources/deployments" && resource.GetProperty("properties").TryGetProperty("template", out var nested))
            {
                foreach (var inner in Resources(nested))
                {
                    yield return inner;
                }
            }
        }
    }

    [Fact]
    public async Task TheDeployment_KeepsTheGpuServiceOffTheInternet_FetchesNoKeys_AndRunsTheIsolatedWorker()
    {
        string bicep = Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
            "azure.bicep.commandline.linux-x64", "0.49.2", "tools", "bicep");
        var (code, json, errors) = await TestProcess.RunAsync(bicep, ["build", Path.Combine(Infra, "bicep", "main.bicep"), "--stdout"], TimeSpan.FromMinutes(2));
        Assert.True(code == 0, errors);
        var resources = Resources(JsonDocument.Parse(json).RootElement).ToList();

        var environment = Assert.Single(resources, r => r.GetProperty("type").GetString() == "Microsoft.App/managedEnvironments");
        Assert.True(environment.GetProperty("properties").GetProperty("vnetConfiguration").GetProperty("internal").GetBoolean(), "the GPU service's environment has a public endpoint");
        Assert.Contains(resources, r => r.GetProperty("type").GetString() == "Microsoft.Network/privateDnsZones");
        Assert.DoesNotContain("listKeys(", json, StringComparison.OrdinalIgnoreCase);
        string functions = File.ReadAllText(Path.Combine(Infra, "bicep", "modules", "functions.bicep"));
        Assert.Contains("name: 'dotnet-isolated'\n        version: '10.0'", functions.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("virtualNetworkSubnetId: subnetId", functions, StringComparison.Ordinal);
        Assert.DoesNotContain("'custom'", functions, StringComparison.Ordinal);
    }
}
