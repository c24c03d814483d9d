using System.CommandLine;
using Verdict.Scoring;
using Verdict.Scoring.Hosting;

namespace Verdict.Cli.Models;

/// <summary>The options that say where the model registry is: <c>--registry DIR</c> or a storage account (<c>--storage</c>).</summary>
internal sealed class RegistryOptions
{
    private readonly Option<DirectoryInfo?> _folder = new("--registry")
    {
        Description = "A local folder of model packages.",
    };

    private readonly Option<string?> _connection = new("--storage")
    {
        Description = CliStorage.Description + " Packages go to its 'models' container.",
    };

    /// <summary>The <c>--registry</c> option.</summary>
    public Option<DirectoryInfo?> Folder => _folder;

    /// <summary>The <c>--storage</c> option.</summary>
    public Option<string?> Connection => _connection;

    public static RegistryOptions Add(Command command)
    {
        var options = new RegistryOptions();
        command.Options.Add(options._folder);
        command.Options.Add(options._connection);
        return options;
    }

    /// <summary>The registry the options name: a folder, else the storage account's <c>models</c> container.</summary>
    public ScoringRuntime CreateRuntime(ParseResult parse)
    {
        if (parse.GetValue(_folder) is { } folder)
        {
            return ScoringRuntime.Create(new ScoringOptions { LocalPath = folder.FullName });
        }
        var account = CliStorage.TryResolve(parse.GetValue(_connection))
            ?? throw new CliException($"say where the registry is: --registry DIR, --storage CONNECTION_STRING_OR_ACCOUNT or ${CliStorage.Variable}.");
        return ScoringRuntime.Create(new ScoringOptions(), account);
    }
}
