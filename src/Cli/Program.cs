using System.CommandLine;
using Verdict.Cli;
using Verdict.Cli.Demo;
using Verdict.Cli.Models;

var root = new RootCommand("Verdict: intent scoring with champion/challenger experiments.");
root.Subcommands.Add(ModelsCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
return await CliRunner.RunAsync(root, args).ConfigureAwait(false);
