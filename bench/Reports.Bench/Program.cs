// Report benchmark: the HTML report of a 1-million-event experiment (500k scored + 500k outcome events over
// a month): its size, the time to render it, and the time headless Chromium takes to load and lay it out,
// beside Chromium on a one-line page in the same run.
//
//   dotnet run -c Release --project bench/Reports.Bench [-- SCORED_EVENTS]      (default 500000)
using System.Diagnostics;
using System.Globalization;
using Verdict.Experimentation.Analysis;
using Verdict.Reports;
using Verdict.TestUtilities;

int scored = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500_000;
using var temp = new TempDirectory();
string log = new SyntheticLog
{
    Experiment = "intent-v2", UnitsPerArm = scored / 2, Seed = 3, SecondsBetweenEmails = 30L * 86400 / scored,
    Arms = [("champion", 0.80, 1.0), ("challenger", 0.82, 0.94)],
}.WriteTo(temp.Combine("events.jsonl"));
Console.WriteLine(F($"{2L * scored:N0} events ({new FileInfo(log).Length / 1e6:F0} MB of JSONL), Chromium: {Version()}"));

var sw = Stopwatch.StartNew();
var result = await ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = [log], PlannedUnits = 2L * scored });
double analyze = sw.Elapsed.TotalSeconds;
sw.Restart();
string html = HtmlReport.Render(result);
double render = sw.Elapsed.TotalSeconds;
string report = temp.Combine("report.html");
File.WriteAllText(report, html);
long bytes = new FileInfo(report).Length;
string blank = temp.Combine("blank.html");
File.WriteAllText(blank, "<!DOCTYPE html><html><body><p>hello</p></body></html>");

// Chromium: load, lay out and print the DOM; the median of five runs each, interleaved.
var baseline = new List<double>();
var full = new List<double>();
for (int i = 0; i < 5; i++)
{
    baseline.Add(Chromium(blank));
    full.Add(Chromium(report));
}
double b = baseline.Order().ElementAt(2), r = full.Order().ElementAt(2);
Console.WriteLine(F($"verdict: {result.Verdict.Status}; timeline {result.Timeline.Count} days"));
Console.WriteLine(F($"analysis {analyze:F2} s; HTML rendered in {render * 1000:F0} ms; size {bytes / 1e6:F3} MB (goal < 2 MB)"));
Console.WriteLine(F($"headless Chromium, median of 5: one-line page {b:F2} s, report {r:F2} s, difference {r - b:F2} s (goal: report < 2 s)"));
return 0;

static double Chromium(string page)
{
    var start = new ProcessStartInfo("/usr/bin/chromium") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (string a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--dump-dom", new Uri(page).AbsoluteUri })
    {
        start.ArgumentList.Add(a);
    }
    var sw = Stopwatch.StartNew();
    using var p = Process.Start(start)!;
    var output = p.StandardOutput.ReadToEndAsync();
    _ = p.StandardError.ReadToEndAsync();
    p.WaitForExit();
    double seconds = sw.Elapsed.TotalSeconds;
    if (!output.Result.Contains("</html>", StringComparison.Ordinal))
    {
        throw new InvalidOperationException("Chromium printed no document for " + page);
    }
    return seconds;
}

static string Version()
{
    var start = new ProcessStartInfo("/usr/bin/chromium", "--version") { RedirectStandardOutput = true, RedirectStandardError = true };
    using var p = Process.Start(start)!;
    string v = p.StandardOutput.ReadToEnd().Trim();
    p.WaitForExit();
    return v;
}

static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
