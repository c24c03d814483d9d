using System.CommandLine;
using Verdict.Training.Demo;

namespace Verdict.Cli.Demo;

/// <summary><c>verdict demo corpus | tiny-bert</c>: the synthetic data and models of the demo stack.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "Generate the demo corpus and test models.");

        var corpusOut = new Option<FileInfo>("--out") { Description = "CSV file to write.", Required = true };
        var rows = new Option<int>("--rows-per-label") { Description = "Examples per label.", DefaultValueFactory = _ => 400 };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 7 };
        var corpus = new Command("corpus", "Write the synthetic sales-reply corpus (text,label,split).") { corpusOut, rows, seed };
        corpus.SetAction(parse =>
        {
            var path = parse.GetValue(corpusOut)!.FullName;
            DemoCorpus.Write(path, parse.GetValue(rows), parse.GetValue(seed));
            Console.WriteLine($"wrote {path}");
        });

        var bertOut = new Option<DirectoryInfo>("--out") { Description = "Folder for the model package.", Required = true };
        var name = new Option<string>("--name") { Description = "Model name.", DefaultValueFactory = _ => "tiny-bert" };
        var version = new Option<string>("--version") { Description = "Model version.", DefaultValueFactory = _ => "1" };
        var target = new Option<string>("--target") { Description = "cpu or gpu.", DefaultValueFactory = _ => "cpu" };
        target.AcceptOnlyFromAmong("cpu", "gpu");
        var bert = new Command("tiny-bert", "Write a tiny BERT-shaped model package (random weights) for the wordpiece path.") { bertOut, name, version, target };
        bert.SetAction(parse =>
        {
            var path = parse.GetValue(bertOut)!.FullName;
            TinyBertBuilder.Write(path, DemoCorpus.Labels, DemoCorpus.Samples(500, 3), parse.GetValue(name)!, parse.GetValue(version)!, target: parse.GetValue(target)!);
            Console.WriteLine($"wrote {path}");
        });

        command.Subcommands.Add(corpus);
        command.Subcommands.Add(bert);
        return command;
    }
}
