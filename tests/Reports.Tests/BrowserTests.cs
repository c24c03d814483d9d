using System.Text.RegularExpressions;
using Verdict.TestUtilities;

namespace Verdict.Reports.Tests;

/// <summary>
/// The reports as people see them: each scenario rendered by headless Chromium (Debian's <c>chromium</c>,
/// installed by scripts/install-tools.sh) with no console message, the verdict and every chart present
/// and drawn, and screenshots (laptop and phone width) saved beside the test binary, or into
/// <c>$VERDICT_SCREENSHOTS</c> when set (how docs/images is refreshed).
/// </summary>
public sealed class BrowserTests : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static async Task<(string Stdout, string Stderr)> ChromiumAsync(params string[] arguments)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run scripts/install-tools.sh (Debian package chromium)");
        string[] options = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--enable-logging=stderr", "--v=0"];
        var (_, stdout, stderr) = await TestProcess.RunAsync(Chromium, [.. options, .. arguments], TimeSpan.FromSeconds(90));
        return (stdout, stderr);
    }

    [Theory]
    [InlineData("aa-pass", "aa-passed")]
    [InlineData("ab-winner", "ab-winner")]
    [InlineData("srm-failure", "srm-mismatch")]
    [InlineData("template", "template-winner")]
    [InlineData("coverage-mismatch", "outcome-coverage-mismatch")]
    public async Task Report_RendersInChromium_WithoutConsoleMessages_WithTheVerdictAndEveryChartDrawn(string scenario, string status)
    {
        var result = await Scenarios.AnalyzeAsync(scenario, _dir.Path);
        Assert.Equal(status, result.Verdict.Status);
        string page = _dir.Combine(scenario + ".html");
        File.WriteAllText(page, HtmlReport.Render(result, new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero)));
        string url = new Uri(page).AbsoluteUri;

        var (dom, log) = await ChromiumAsync("--virtual-time-budget=2000", "--dump-dom", url);

        Assert.DoesNotContain("CONSOLE", log, StringComparison.Ordinal);
        var verdict = Regex.Match(dom, "<p id=\"verdict\" class=\"verdict\">(.+?)</p>", RegexOptions.Singleline);
        Assert.True(verdict.Success && verdict.Groups[1].Value.Length > 40, "the verdict sentence is on the page");
        var charts = Regex.Matches(dom, "<svg id=\"([a-z-]+)\" class=\"chart\".*?</svg>", RegexOptions.Singleline);
        Assert.True(charts.Count >= 2, $"{charts.Count} charts");
        Assert.All(charts, c => Assert.True(Regex.Count(c.Value, "<path") >= 5, $"chart {c.Groups[1].Value} is drawn"));

        string shots = Environment.GetEnvironmentVariable("VERDICT_SCREENSHOTS") is { Length: > 0 } dir ? dir : Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(shots);
        foreach (var (suffix, size) in new[] { ("", "1000,3400"), ("-phone", "390,5200") })
        {
            string png = Path.Combine(shots, $"report-{scenario}{suffix}.png");
            File.Delete(png);
            await ChromiumAsync($"--window-size={size}", $"--screenshot={png}", url);
            Assert.True(new FileInfo(png).Length > 20_000, $"{png} holds a rendered page");
        }
    }
}
