using Verdict.Experimentation.Analysis;
using Verdict.TestUtilities;

namespace Verdict.Reports.Tests;

/// <summary>The simulated experiments the report tests render: an A/A pass, an A/B winner, a sample-ratio mismatch and a template experiment.</summary>
internal static class Scenarios
{
    public static readonly string[] Names = ["aa-pass", "ab-winner", "srm-failure", "template"];

    public static async Task<AnalysisResult> AnalyzeAsync(string name, string folder)
    {
        string path = Path.Combine(folder, name + ".jsonl");
        switch (name)
        {
            case "aa-pass":
                new SyntheticLog { Experiment = "intent-v2", Phase = "aa", UnitsPerArm = 3000, Seed = 11, SecondsBetweenEmails = 120, Arms = [("champion", 0.8, 1), ("challenger", 0.8, 1)] }.WriteTo(path);
                return await Run(path, planned: 6000);
            case "ab-winner":
                new SyntheticLog { Experiment = "intent-v2", UnitsPerArm = 6000, Seed = 5, SecondsBetweenEmails = 90, Arms = [("champion", 0.78, 1.0), ("challenger", 0.83, 0.93)] }.WriteTo(path);
                return await Run(path, planned: 20000);
            case "srm-failure":
                // Every twelfth challenger exposure is lost, as a logging bug would lose it.
                var lines = new SyntheticLog { Experiment = "intent-v2", UnitsPerArm = 4000, Seed = 9, SecondsBetweenEmails = 100, Arms = [("champion", 0.8, 1.0), ("challenger", 0.82, 0.95)] }
                    .Lines().Where((line, i) => !(line.Contains("\"arm\":\"challenger\"", StringComparison.Ordinal) && i / 2 % 12 == 1)).ToList();
                File.WriteAllLines(path, lines);
                return await Run(path, planned: 8000);
            case "template":
                new SyntheticTemplateLog
                {
                    Experiment = "welcome-sequence", MessagesPerArm = 2500, Seed = 4, SecondsBetweenMessages = 200,
                    Arms = [("short-intro", 0.30, 0.30), ("case-study", 0.22, 0.75), ("discount", 0.26, 0.45)],
                }.WriteTo(path);
                return await Run(path, planned: 7500);
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, "no such scenario");
        }
    }

    private static Task<AnalysisResult> Run(string path, long planned) =>
        ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = [path], PlannedUnits = planned });
}
