using System.CommandLine;
using Verdict.Scoring;

namespace Verdict.Cli.Models;

/// <summary>The options that say where the model registry is: <c>--registry DIR</c> or a storage connection string.</summary>
internal sealed class RegistryOptions
{
    public const string ConnectionStringVariable = "VERDICT_STORAGE_CONNECTION_STRING";

    private readonly Option<DirectoryInfo?> _folder = new("--registry")
    {
        Description = "A local folder of model packages.",
    };

    private readonly Option<string?> _connection = new("--storage")
    {
        Description = $"An Azure Storage connection string (default: ${ConnectionStringVariable}); packages go to the 'models' container.",
    };

    public static RegistryOptions Add(Command command)
    {
        var options = new RegistryOptions();
        command.Options.Add(options._folder);
        command.Options.Add(options._connection);
        return options;
    }

    public ScoringOptions Resolve(ParseResult parse)
    {
        var folder = parse.GetValue(_folder);
        var connection = parse.GetValue(_connection) ?? Environment.GetEnvironmentVariable(ConnectionStringVariable);
        if (folder is not null)
        {
            return new ScoringOptions { LocalPath = folder.FullName };
        }
        if (!string.IsNullOrWhiteSpace(connection))
        {
            return new ScoringOptions { BlobConnectionString = connection };
        }
        throw new CliException($"say where the registry is: --registry DIR, --storage CONNECTION_STRING or ${ConnectionStringVariable}.");
    }
}
