namespace Verdict.Experimentation.Simulation;

/// <summary>What a <see cref="TrafficSimulator"/> generates.</summary>
public sealed record SimulationOptions
{
    /// <summary>Units (contacts) that send email.</summary>
    public int Units { get; init; } = 10_000;

    /// <summary>Emails each unit sends (more than one makes the metrics unit-level ratios).</summary>
    public int EmailsPerUnit { get; init; } = 1;

    /// <summary>Seeds every draw and is part of every email id: the same seed gives the same run.</summary>
    public string Seed { get; init; } = "sim";

    /// <summary>When the first email arrives.</summary>
    public DateTimeOffset Start { get; init; } = new(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);

    /// <summary>Time between consecutive emails.</summary>
    public TimeSpan Spacing { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The emails' texts and true intents (at least one).</summary>
    public required IReadOnlyList<CorpusEmail> Corpus { get; init; }

    /// <summary>Share of predictions that are right, for arms without their own.</summary>
    public double Accuracy { get; init; } = 0.80;

    /// <summary>Accuracy of the model an arm serves, by arm.</summary>
    public IReadOnlyDictionary<string, double> AccuracyByArm { get; init; } = new Dictionary<string, double>();

    /// <summary>How much every model's accuracy falls per day since <see cref="Start"/> (0.01: one point a day), as a model decays while the mail it reads changes.</summary>
    public double AccuracyDecayPerDay { get; init; }

    /// <summary>Median handling time in seconds under the control.</summary>
    public double MedianHandlingSeconds { get; init; } = 240;

    /// <summary>Spread of log handling time (the log-normal's sigma).</summary>
    public double HandlingSigma { get; init; } = 0.9;

    /// <summary>Relative change of handling time under an arm's model, by arm (−0.066 is 6.6% faster).</summary>
    public IReadOnlyDictionary<string, double> HandlingEffectByArm { get; init; } = new Dictionary<string, double>();

    /// <summary>Share of outcomes where the rep confirms the true intent.</summary>
    public double ConfirmedShare { get; init; } = 0.9;

    /// <summary>A logging bug: the share of an arm's exposures never logged, by arm.</summary>
    public IReadOnlyDictionary<string, double> DropExposures { get; init; } = new Dictionary<string, double>();

    /// <summary>Template experiments: share of messages that get any reply.</summary>
    public double ReplyRate { get; init; } = 0.25;

    /// <summary>Template experiments: share of messages that get a positive reply, for arms without their own.</summary>
    public double PositiveReplyRate { get; init; } = 0.08;

    /// <summary>Template experiments: positive reply rate by arm.</summary>
    public IReadOnlyDictionary<string, double> PositiveReplyRateByArm { get; init; } = new Dictionary<string, double>();

    /// <summary>Emails per durable append in <see cref="TrafficSimulator.RunAsync"/>.</summary>
    public int BatchSize { get; init; } = 1_000;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    /// <param name="arms">The experiment's arm names, which the per-arm options must use.</param>
    public void Validate(IReadOnlySet<string> arms)
    {
        ArgumentNullException.ThrowIfNull(arms);
        if (Units < 1 || EmailsPerUnit < 1 || (long)Units * EmailsPerUnit > 100_000_000)
        {
            Fail(nameof(Units), "units and emails per unit must be positive, at most 100 million emails in all");
        }
        if (string.IsNullOrWhiteSpace(Seed) || Spacing < TimeSpan.Zero || BatchSize < 1)
        {
            Fail(nameof(Seed), "seed must not be empty, spacing not negative, batch size positive");
        }
        if (Corpus is null || Corpus.Count == 0 || Corpus.Any(e => e is null || string.IsNullOrEmpty(e.Intent)))
        {
            Fail(nameof(Corpus), "the corpus needs at least one email, each with an intent");
        }
        Share(nameof(Accuracy), Accuracy);
        Share(nameof(AccuracyDecayPerDay), AccuracyDecayPerDay);
        Share(nameof(ConfirmedShare), ConfirmedShare);
        Share(nameof(ReplyRate), ReplyRate);
        Share(nameof(PositiveReplyRate), PositiveReplyRate, ReplyRate);
        if (!(MedianHandlingSeconds > 0 && double.IsFinite(MedianHandlingSeconds)) || !(HandlingSigma >= 0 && HandlingSigma <= 5))
        {
            Fail(nameof(MedianHandlingSeconds), "the median handling time must be positive and sigma in [0, 5]");
        }
        PerArm(nameof(AccuracyByArm), AccuracyByArm, arms, v => v is >= 0 and <= 1);
        PerArm(nameof(HandlingEffectByArm), HandlingEffectByArm, arms, v => v is > -1 and <= 10);
        PerArm(nameof(DropExposures), DropExposures, arms, v => v is >= 0 and <= 1);
        PerArm(nameof(PositiveReplyRateByArm), PositiveReplyRateByArm, arms, v => v >= 0 && v <= ReplyRate);
    }

    private static void Fail(string name, string message) => throw new ArgumentException(message, name);

    private static void Share(string name, double value, double max = 1)
    {
        if (!(value >= 0 && value <= max))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, {max}]");
        }
    }

    private static void PerArm(string name, IReadOnlyDictionary<string, double> values, IReadOnlySet<string> arms, Func<double, bool> valid)
    {
        foreach (var (arm, value) in values)
        {
            if (!arms.Contains(arm))
            {
                throw new ArgumentException($"{name}: the experiment has no arm '{arm}'", name);
            }
            if (!valid(value))
            {
                throw new ArgumentOutOfRangeException(name, value, $"{name}: {value} is out of range for arm '{arm}'");
            }
        }
    }
}
