using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Verdict.Reports;
using Verdict.Scoring.Packages;
using Verdict.Training;

namespace Verdict.Cli.Models;

/// <summary><c>verdict models learning-curve</c> and <c>verdict models distill</c>.</summary>
internal static class TransferCommands
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static Command LearningCurveCommand()
    {
        var data = new Option<FileInfo>("--data") { Description = "Labelled CSV file with a header row.", Required = true };
        var textColumn = new Option<string>("--text-column") { Description = "The text column.", DefaultValueFactory = _ => "text" };
        var labelColumn = new Option<string>("--label-column") { Description = "The label column.", DefaultValueFactory = _ => "label" };
        var splitColumn = new Option<string?>("--split-column") { Description = "Column with train/test per row; without it 20% of each label is held out." };
        var architectures = new Option<string>("--architectures") { Description = "Comma-separated: linear, mlp, encoder, hybrid.", DefaultValueFactory = _ => "linear,mlp,encoder,hybrid" };
        var sizes = new Option<string>("--sizes") { Description = "Comma-separated training sizes; 'all' is the whole training split.", DefaultValueFactory = _ => "50,100,200,500,1000,2000,all" };
        var seeds = new Option<int>("--seeds") { Description = "Samples (and seeds) per size.", DefaultValueFactory = _ => 3 };
        var encoder = new Option<string>("--encoder") { Description = "The pretrained encoder of encoder and hybrid.", DefaultValueFactory = _ => "minilm" };
        encoder.AcceptOnlyFromAmong([.. Verdict.Training.Encoders.PretrainedEncoder.All.Select(e => e.Name)]);
        var format = new Option<string>("--format") { Description = "md or json on standard output.", DefaultValueFactory = _ => "md" };
        format.AcceptOnlyFromAmong("md", "json");
        var html = new Option<FileInfo?>("--html") { Description = "Also write the chart and table as an HTML page here." };
        var command = new Command("learning-curve", "How many labels does each architecture need? Trains each on growing samples and tests on the test split.")
        {
            data, textColumn, labelColumn, splitColumn, architectures, sizes, seeds, encoder, format, html,
        };
        command.SetAction(parse =>
        {
            var archList = Items(parse.GetValue(architectures)!, "--architectures").Select(a =>
                Enum.TryParse<ModelArchitecture>(a, ignoreCase: true, out var v) && Enum.IsDefined(v) && !int.TryParse(a, out _)
                    ? v
                    : throw new CliException($"--architectures: '{a}' is not one of linear, mlp, encoder, hybrid.")).ToList();
            var sizeList = Items(parse.GetValue(sizes)!, "--sizes").Select(s =>
                s.Equals("all", StringComparison.OrdinalIgnoreCase) ? (int?)null
                : int.TryParse(s, NumberStyles.None, C, out var n) && n >= 2 ? n
                : throw new CliException($"--sizes: '{s}' is not 'all' or a whole number of at least 2.")).ToList();
            var seedCount = parse.GetValue(seeds);
            if (seedCount is < 1 or > 20)
            {
                throw new CliException("--seeds must be between 1 and 20.");
            }
            var result = LearningCurve.Run(new TrainingOptions
            {
                DataPath = parse.GetValue(data)!.FullName,
                OutputDirectory = Path.GetTempPath(),
                TextColumn = parse.GetValue(textColumn)!,
                LabelColumn = parse.GetValue(labelColumn)!,
                SplitColumn = parse.GetValue(splitColumn),
                Encoder = parse.GetValue(encoder)!,
            }, archList, sizeList, seedCount, Console.Error.WriteLine);
            Console.Write(parse.GetValue(format) == "json" ? JsonSerializer.Serialize(result, ManifestJson.Options) + "\n" : Markdown(result));
            if (parse.GetValue(html) is { } page)
            {
                File.WriteAllText(page.FullName, Page(result), new UTF8Encoding(false));
                Console.Error.WriteLine($"wrote {page.FullName}");
            }
            return 0;
        });
        return command;
    }

    public static Command DistillCommand()
    {
        var teacher = new Option<DirectoryInfo>("--teacher") { Description = "The teacher's model package folder.", Required = true };
        var data = new Option<FileInfo>("--data") { Description = "Labelled CSV: its training texts (labels unused) teach the student unless --unlabelled is given; its test split scores both.", Required = true };
        var unlabelled = new Option<FileInfo?>("--unlabelled") { Description = "CSV of texts (the --text-column) for the teacher to label instead of the training split's." };
        var textColumn = new Option<string>("--text-column") { Description = "The text column.", DefaultValueFactory = _ => "text" };
        var labelColumn = new Option<string>("--label-column") { Description = "The label column.", DefaultValueFactory = _ => "label" };
        var splitColumn = new Option<string?>("--split-column") { Description = "Column with train/test per row; without it 20% of each label is held out." };
        var architecture = new Option<string>("--architecture") { Description = "The student: linear or mlp.", DefaultValueFactory = _ => "linear" };
        architecture.AcceptOnlyFromAmong("linear", "mlp");
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder to write the student's package to.", Required = true };
        var name = new Option<string>("--name") { Description = "Model name in the manifest.", DefaultValueFactory = _ => "intent-student" };
        var version = new Option<string>("--version") { Description = "Model version in the manifest.", DefaultValueFactory = _ => "1" };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1 };
        var epochs = new Option<int?>("--epochs") { Description = "Passes over the transfer texts (default 12)." };
        var command = new Command("distill", "Train a fast n-gram student on a teacher model's soft labels.")
        {
            teacher, data, unlabelled, textColumn, labelColumn, splitColumn, architecture, output, name, version, seed, epochs,
        };
        command.SetAction(parse =>
        {
            var result = Distiller.Distill(new TrainingOptions
            {
                DataPath = parse.GetValue(data)!.FullName,
                TextColumn = parse.GetValue(textColumn)!,
                LabelColumn = parse.GetValue(labelColumn)!,
                SplitColumn = parse.GetValue(splitColumn),
                Architecture = parse.GetValue(architecture) == "mlp" ? ModelArchitecture.Mlp : ModelArchitecture.Linear,
                OutputDirectory = parse.GetValue(output)!.FullName,
                Name = parse.GetValue(name)!,
                Version = parse.GetValue(version)!,
                Seed = parse.GetValue(seed),
                Epochs = parse.GetValue(epochs),
            }, parse.GetValue(teacher)!.FullName, parse.GetValue(unlabelled)?.FullName, Console.WriteLine);
            var d = result.Manifest.Training!.Distillation!;
            Console.WriteLine(string.Create(C,
                $"{result.Manifest.Name}@{result.Manifest.Version}: student accuracy {d.StudentAccuracy:F4}, teacher {d.TeacherAccuracy:F4}, agreement {d.Agreement:F4}, {d.SpeedRatio}x faster than the teacher."));
            return 0;
        });
        return command;
    }

    private static string[] Items(string value, string option)
    {
        var items = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return items.Length > 0 ? items : throw new CliException($"{option} is empty.");
    }

    private static string SizeLabel(LearningCurveSummary s) => s.All ? $"all ({s.Size:N0})" : s.Size.ToString("N0", C);

    private static string Markdown(LearningCurveResult result)
    {
        var archs = result.Summary.Select(s => s.Architecture).Distinct().ToList();
        var rows = result.Summary.GroupBy(s => (s.Size, s.All)).OrderBy(g => g.Key.All).ThenBy(g => g.Key.Size);
        var md = new StringBuilder();
        md.Append(C, $"Test accuracy on {result.DataFile} ({result.TestExamples:N0} test examples, {result.Labels} labels), mean over seeds (min–max)")
            .Append(result.Encoder is null ? "" : $"; encoder {result.Encoder}").Append(".\n\n");
        md.Append("| training examples | ").Append(string.Join(" | ", archs)).Append(" |\n|---|").Append(string.Concat(archs.Select(_ => "---|"))).Append('\n');
        foreach (var row in rows)
        {
            md.Append("| ").Append(SizeLabel(row.First())).Append(" | ");
            md.Append(string.Join(" | ", archs.Select(a => row.FirstOrDefault(s => s.Architecture == a) is { } s
                ? string.Create(C, $"{s.MeanAccuracy:F4} ({s.MinAccuracy:F3}–{s.MaxAccuracy:F3})")
                : "—")));
            md.Append(" |\n");
        }
        return md.ToString();
    }

    private static string Page(LearningCurveResult result)
    {
        var series = result.Summary.GroupBy(s => s.Architecture)
            .Select(g => new CurveSeries(g.Key, [.. g.OrderBy(s => s.Size).Select(s => new CurvePoint(s.Size, s.MeanAccuracy, s.MinAccuracy, s.MaxAccuracy))]))
            .ToList();
        var archs = series.Select(s => s.Name).ToList();
        var table = new StringBuilder("<table><thead><tr><th>training examples</th>");
        foreach (var a in archs)
        {
            table.Append("<th>").Append(WebUtility.HtmlEncode(a)).Append("</th>");
        }
        table.Append("</tr></thead><tbody>");
        foreach (var row in result.Summary.GroupBy(s => (s.Size, s.All)).OrderBy(g => g.Key.All).ThenBy(g => g.Key.Size))
        {
            table.Append("<tr><td>").Append(SizeLabel(row.First())).Append("</td>");
            foreach (var a in archs)
            {
                table.Append("<td>").Append(row.FirstOrDefault(s => s.Architecture == a) is { } s
                    ? string.Create(C, $"{s.MeanAccuracy:F4} <small>({s.MinAccuracy:F3}–{s.MaxAccuracy:F3})</small>")
                    : "—").Append("</td>");
            }
            table.Append("</tr>");
        }
        table.Append("</tbody></table>");
        return LearningCurvePage.Html($"Learning curve: {result.DataFile}",
            string.Create(C, $"Test accuracy on {result.TestExamples:N0} test examples ({result.Labels} labels) against the number of training labels; lines are the mean over seeds, bands the range.{(result.Encoder is null ? "" : $" Encoder: {result.Encoder}.")}"),
            series, table.ToString());
    }
}
