using System.CommandLine;
using Verdict.Cli;
using Verdict.Cli.Analysis;
using Verdict.Cli.Demo;
using Verdict.Cli.Models;

var root = new RootCommand("Verdict: intent scoring with champion/challenger experiments.");
root.Subcommands.Add(ModelsCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(AnalyzeCommand.Create());
root.Subcommands.Add(AaReplayCommand.Create());
root.Subcommands.Add(AggregateCommand.Create());
root.Subcommands.Add(PowerCommand.Create());
root.Subcommands.Add(Verdict.Cli.Experiments.ExperimentsCommand.Create());
root.Subcommands.Add(Verdict.Cli.Experiments.SimulateCommand.Create());
return await CliRunner.RunAsync(root, args).ConfigureAwait(false);
