using Verdict.Experimentation.Analysis;
using Verdict.TestUtilities;

namespace Verdict.Reports.Tests;

/// <summary>The simulated experiments the report tests render: an A/A pass, an A/B winner with guardrails, a sample-ratio mismatch, a template experiment and selectively logged outcomes.</summary>
internal static class Scenarios
{
    public static readonly string[] Names = ["aa-pass", "ab-winner", "srm-failure", "template", "coverage-mismatch"];

    /// <summary>Confidence that tracks correctness loosely, as a real model's does, and outcomes arriving minutes to a day later.</summary>
    private static double Confidence(bool correct, int id) => correct ? 0.55 + (id * 37 % 45 / 100.0) : 0.35 + (id * 53 % 50 / 100.0);

    private static double Delay(int id) => 300 + (id * 7919 % 86_400);

    public static async Task<AnalysisResult> AnalyzeAsync(string name, string folder)
    {
        string path = Path.Combine(folder, name + ".jsonl");
        switch (name)
        {
            case "aa-pass":
                new SyntheticLog { Experiment = "intent-v2", Phase = "aa", UnitsPerArm = 3000, Seed = 11, SecondsBetweenEmails = 120, Arms = [("champion", 0.8, 1), ("challenger", 0.8, 1)] }.WriteTo(path);
                return await Run(path, planned: 6000);
            case "ab-winner":
                new SyntheticLog { Experiment = "intent-v2", UnitsPerArm = 6000, Seed = 5, SecondsBetweenEmails = 90, Arms = [("champion", 0.78, 1.0), ("challenger", 0.83, 0.93)], Confidence = Confidence, OutcomeDelay = Delay }.WriteTo(path);
                return await Run(path, planned: 20000, new Guardrail("accuracy", 0.01), new Guardrail("handlingSeconds", 0.02));
            case "coverage-mismatch":
                // Both arms 80% accurate; reps skip the outcome form for half of the challenger's wrong suggestions.
                new SyntheticLog
                {
                    Experiment = "intent-v2", UnitsPerArm = 5000, Seed = 21, SecondsBetweenEmails = 90, Arms = [("champion", 0.8, 1.0), ("challenger", 0.8, 1.0)],
                    Confidence = Confidence, OutcomeDelay = Delay, OutcomeLoss = (arm, correct) => arm == "challenger" && !correct ? 0.5 : 0,
                }.WriteTo(path);
                return await Run(path, planned: 10000);
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

    private static Task<AnalysisResult> Run(string path, long planned, params Guardrail[] guardrails) =>
        ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = [path], PlannedUnits = planned, Guardrails = guardrails });
}
