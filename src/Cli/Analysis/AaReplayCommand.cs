using System.CommandLine;
using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Events;

namespace Verdict.Cli.Analysis;

/// <summary><c>verdict aa-replay</c>: the false-positive rate of every test and of the A/A gate, on random splits of a real log.</summary>
internal static class AaReplayCommand
{
    public static Command Create()
    {
        var log = new LogOptions();
        var splits = new Option<int>("--splits") { Description = "How many random splits.", DefaultValueFactory = _ => 1000 };
        var seed = new Option<ulong>("--seed") { Description = "Seeds the splits: the same seed and log give the same result.", DefaultValueFactory = _ => 1 };
        var alpha = new Option<double>("--alpha") { Description = "Significance level each test is read at.", DefaultValueFactory = _ => 0.05 };
        var phase = new Option<string?>("--phase") { Description = "aa or ab: whose exposures to split (default: the A/A phase when the log has one, else the latest)." };
        phase.AcceptOnlyFromAmong("aa", "ab");
        var format = new Option<string>("--format") { Description = "md, json, or html (a page with the chart; give --out).", DefaultValueFactory = _ => "md" };
        format.AcceptOnlyFromAmong("md", "json", "html");
        var output = new Option<FileInfo?>("--out") { Description = "Write here instead of standard output." };
        var command = new Command("aa-replay", "Split a real log's units into two fake arms many times and analyse each split as analyze does: the false-positive rate of every test and of the A/A gate, and whether the log's own A/A split looks random.")
        {
            splits, seed, alpha, phase, format, output,
        };
        log.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            double a = parse.GetValue(alpha);
            if (a is <= 0 or > 0.5)
            {
                throw new CliException("--alpha must be in (0, 0.5].");
            }
            int n = parse.GetValue(splits);
            if (n is < 20 or > 100_000)
            {
                throw new CliException("--splits must be between 20 and 100,000.");
            }
            var request = log.Request(parse) with
            {
                Alpha = a,
                Phase = parse.GetValue(phase) switch { "aa" => EventPhase.AA, "ab" => EventPhase.AB, _ => null },
            };
            var result = await AaReplay.RunAsync(request, n, parse.GetValue(seed), ct).ConfigureAwait(false);
            string text = parse.GetValue(format) switch
            {
                "json" => AaReplay.ToJson(result) + "\n",
                "html" => Verdict.Reports.AaReplayPage.Html(result),
                _ => AaReplay.ToMarkdown(result),
            };
            await Output.WriteAsync(parse.GetValue(output), text, ct).ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
