using System.Globalization;
using System.Text;

namespace Verdict.TestUtilities;

/// <summary>
/// Seeded Contract 1 logs: units, scored exposures and outcomes with a chosen accuracy per arm and log-normal
/// handling times with a chosen ratio, optionally several emails per unit.
/// </summary>
public sealed class SyntheticLog
{
    public string Experiment { get; init; } = "exp-1";
    public string Phase { get; init; } = "ab";
    public int UnitsPerArm { get; init; } = 1000;
    public int EmailsPerUnit { get; init; } = 1;
    public (string Name, double Accuracy, double TimeFactor)[] Arms { get; init; } = [("champion", 0.80, 1.0), ("challenger", 0.80, 1.0)];
    public double MedianSeconds { get; init; } = 180;
    public double LogSd { get; init; } = 0.8;
    public int Seed { get; init; } = 1;
    public DateTimeOffset Start { get; init; } = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Seconds between one email and the next (spread them to span days).</summary>
    public double SecondsBetweenEmails { get; init; } = 1;

    /// <summary>What each email's outcome carries: both fields (the default), only trueIntent, or no outcome at all.</summary>
    public SyntheticOutcomes Outcomes { get; init; } = SyntheticOutcomes.IntentAndHandling;

    /// <summary>
    /// The chance that an email's outcome is never logged, by arm and whether the prediction was right (a rep who
    /// skips the form when the suggestion was wrong); null logs every outcome.
    /// </summary>
    public Func<string, bool, double>? OutcomeLoss { get; init; }

    /// <summary>Seconds from the exposure to its outcome, by email number; null logs the outcome at the exposure's time.</summary>
    public Func<int, double>? OutcomeDelay { get; init; }

    /// <summary>The confidence logged, by whether the prediction was right and the email number; null logs 0.9.</summary>
    public Func<bool, int, double>? Confidence { get; init; }

    public IEnumerable<string> Lines()
    {
        var rng = new Random(Seed);
        string[] intents = ["positive", "objection", "not-sure", "unsubscribe"];
        int id = 0;
        for (int u = 0; u < UnitsPerArm * Arms.Length; u++)
        {
            var arm = Arms[u % Arms.Length];
            for (int e = 0; e < EmailsPerUnit; e++)
            {
                string sid = $"s-{Seed}-{id++}";
                string ts = Start.AddSeconds(id * SecondsBetweenEmails).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
                string predicted = intents[rng.Next(intents.Length)];
                string truth = rng.NextDouble() < arm.Accuracy ? predicted : intents[(Array.IndexOf(intents, predicted) + 1 + rng.Next(3)) % 4];
                double seconds = MedianSeconds * arm.TimeFactor * Math.Exp(LogSd * Normal(rng));
                if (OutcomeLoss is { } loss && rng.NextDouble() < loss(arm.Name, truth == predicted))
                {
                    yield return $$"""{"type":"scored","id":"{{sid}}","ts":"{{ts}}","experiment":"{{Experiment}}","arm":"{{arm.Name}}","unit":"u-{{u}}","model":"{{arm.Name}}@1","intent":"{{predicted}}","confidence":0.9,"phase":"{{Phase}}"}""";
                    continue;
                }
                string outcomeTs = OutcomeDelay is null ? ts : Start.AddSeconds((id * SecondsBetweenEmails) + OutcomeDelay(id)).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
                string confidence = Confidence is null ? "0.9" : Confidence(truth == predicted, id).ToString("0.###", CultureInfo.InvariantCulture);
                yield return $$"""{"type":"scored","id":"{{sid}}","ts":"{{ts}}","experiment":"{{Experiment}}","arm":"{{arm.Name}}","unit":"u-{{u}}","model":"{{arm.Name}}@1","intent":"{{predicted}}","confidence":{{confidence}},"phase":"{{Phase}}"}""";
                if (Outcomes == SyntheticOutcomes.IntentAndHandling)
                {
                    yield return string.Create(CultureInfo.InvariantCulture, $$"""{"type":"outcome","id":"{{sid}}","ts":"{{outcomeTs}}","trueIntent":"{{truth}}","handlingSeconds":{{seconds:0.###}}}""");
                }
                else if (Outcomes == SyntheticOutcomes.IntentOnly)
                {
                    yield return $$"""{"type":"outcome","id":"{{sid}}","ts":"{{outcomeTs}}","trueIntent":"{{truth}}"}""";
                }
            }
        }
    }

    public string WriteTo(string path)
    {
        File.WriteAllLines(path, Lines(), new UTF8Encoding(false));
        return path;
    }

    public static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}

/// <summary>Seeded template-experiment logs: <c>assigned</c> messages and the <c>reply</c> events they got, per arm.</summary>
/// <summary>What a <see cref="SyntheticLog"/> email's outcome carries.</summary>
public enum SyntheticOutcomes
{
    IntentAndHandling,
    IntentOnly,
    None,
}

public sealed record SyntheticTemplateLog
{
    public string Experiment { get; init; } = "tpl";
    public int MessagesPerArm { get; init; } = 1000;
    public (string Arm, double ReplyRate, double PositiveShare)[] Arms { get; init; } = [];
    public int Seed { get; init; } = 3;
    public DateTimeOffset Start { get; init; } = new(2026, 11, 1, 10, 0, 0, TimeSpan.Zero);

    /// <summary>Seconds between one message and the next; 0 puts them all at <see cref="Start"/>.</summary>
    public double SecondsBetweenMessages { get; init; }

    public IEnumerable<string> Lines()
    {
        var rng = new Random(Seed);
        for (int i = 0; i < MessagesPerArm * Arms.Length; i++)
        {
            var arm = Arms[i % Arms.Length];
            string mid = $"m{i}";
            var sent = Start.AddSeconds(i * SecondsBetweenMessages);
            string ts = sent.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
            yield return $$"""{"type":"assigned","id":"{{mid}}","ts":"{{ts}}","experiment":"{{Experiment}}","arm":"{{arm.Arm}}","unit":"contact-{{i}}"}""";
            if (rng.NextDouble() < arm.ReplyRate)
            {
                string intent = rng.NextDouble() < arm.PositiveShare ? "positive" : "objection";
                string replied = sent.AddDays(1).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
                yield return $$"""{"type":"reply","id":"{{mid}}","ts":"{{replied}}","intent":"{{intent}}"}""";
            }
        }
    }

    public string WriteTo(string path)
    {
        File.WriteAllLines(path, Lines(), new UTF8Encoding(false));
        return path;
    }
}
