using System.Globalization;
using System.IO.Hashing;
using System.Text;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Experiments;

namespace Verdict.Experimentation.Simulation;

/// <summary>An email of a corpus: its text and the intent it truly carries.</summary>
/// <param name="Text">The email's text.</param>
/// <param name="Intent">Its true intent.</param>
public sealed record CorpusEmail(string Text, string Intent);

/// <summary>One simulated email: who sent it, when, and what it truly says.</summary>
/// <param name="Id">Its scoring id (message id for templates), the same on every run with the same options.</param>
/// <param name="Unit">The randomization unit (the contact).</param>
/// <param name="Ts">When it arrives.</param>
/// <param name="Body">Its text, from the corpus.</param>
/// <param name="TrueIntent">Its true intent.</param>
public sealed record SimulatedEmail(string Id, string Unit, DateTimeOffset Ts, string Body, string TrueIntent);

/// <summary>What the simulation of one email produced.</summary>
/// <param name="Email">The email.</param>
/// <param name="Assignment">The arm the real assigner gave its unit.</param>
/// <param name="Events">Events to log (the exposure is missing when the simulated logging bug dropped it).</param>
/// <param name="ExposureDropped">Whether the exposure was dropped.</param>
public sealed record SimulatedTraffic(SimulatedEmail Email, ArmAssignment Assignment, IReadOnlyList<LogEvent> Events, bool ExposureDropped);

/// <summary>Totals of a simulated run.</summary>
/// <param name="Emails">Emails simulated.</param>
/// <param name="EmailsPerArm">Emails per assigned arm.</param>
/// <param name="ExposuresLogged">Exposure events logged.</param>
/// <param name="ExposuresDropped">Exposures the simulated bug dropped.</param>
/// <param name="EventsLogged">Events logged in all.</param>
public sealed record SimulationSummary(long Emails, IReadOnlyDictionary<string, long> EmailsPerArm, long ExposuresLogged, long ExposuresDropped, long EventsLogged);

/// <summary>
/// Realistic traffic for an experiment, through the real assigner: units sending emails from a corpus, the
/// model experiment's predictions right with a chosen accuracy and reps' handling times log-normal with
/// a heavy tail, or the template experiment's replies at chosen rates; optionally a logging bug that drops
/// a share of one arm's exposures. Every random draw is seeded by the email's id, so a re-run or a
/// redelivered message produces exactly the same events.
/// </summary>
/// <remarks>
/// Effects belong to what an arm serves: during the A/A phase every arm serves the control's model, so every
/// arm behaves like the control whatever effects are set.
/// </remarks>
public sealed class TrafficSimulator
{
    private readonly IArmAssigner _assigner;
    private readonly ExperimentDefinition _definition;
    private readonly SimulationOptions _options;
    private readonly string[] _intents;

    /// <summary>Creates a simulator for an experiment.</summary>
    /// <exception cref="ArgumentException">An option is invalid or names an arm the experiment does not have.</exception>
    public TrafficSimulator(IArmAssigner assigner, ExperimentDefinition definition, SimulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(assigner);
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(definition.Arms.Select(a => a.Name).ToHashSet(StringComparer.Ordinal));
        _assigner = assigner;
        _definition = definition;
        _options = options;
        _intents = [.. options.Corpus.Select(e => e.Intent).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    /// <summary>The emails of the run, in arrival order; unit <c>i mod Units</c> sends email <c>i</c>.</summary>
    public IEnumerable<SimulatedEmail> Emails()
    {
        long count = (long)_options.Units * _options.EmailsPerUnit;
        for (long i = 0; i < count; i++)
        {
            string id = string.Create(CultureInfo.InvariantCulture, $"{_definition.Id}-{_options.Seed}-{i:D8}");
            var random = RandomFor(id, "corpus");
            var email = _options.Corpus[(int)(random.NextUInt64() % (ulong)_options.Corpus.Count)];
            yield return new SimulatedEmail(id, string.Create(CultureInfo.InvariantCulture, $"contact-{i % _options.Units:D7}"),
                _options.Start + (_options.Spacing * i), email.Text, email.Intent);
        }
    }

    /// <summary>Assigns the email's unit and draws what happens to it.</summary>
    /// <exception cref="InvalidOperationException">The experiment is not running (its phase is not A/A or A/B).</exception>
    public async ValueTask<SimulatedTraffic> SimulateAsync(SimulatedEmail email, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(email);
        var assignment = await _assigner.AssignAsync(_definition.Id, email.Unit, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"experiment '{_definition.Id}' does not exist");
        if (assignment.Phase is not (ExperimentPhase.AA or ExperimentPhase.AB))
        {
            throw new InvalidOperationException($"experiment '{_definition.Id}' is {ExperimentValidation.PhaseName(assignment.Phase)}, not running: start its A/A or A/B phase first");
        }
        // Behaviour follows what is served: in the A/A phase every arm serves the control's model.
        string behaves = _definition.Arms.First(a => a.Serves == assignment.Serves).Name;
        var random = RandomFor(email.Id, "outcome");
        bool dropped = random.NextDouble() < _options.DropExposures.GetValueOrDefault(assignment.Arm);
        var events = new List<LogEvent>(2);
        if (_definition.Kind == ExperimentKind.Template)
        {
            if (!dropped)
            {
                events.Add(new AssignedEvent(email.Id, email.Ts, _definition.Id, assignment.Arm, email.Unit));
            }
            double u = random.NextDouble();
            double positive = _options.PositiveReplyRateByArm.GetValueOrDefault(behaves, _options.PositiveReplyRate);
            if (u < _options.ReplyRate)
            {
                string intent = u < positive ? "positive" : OtherThan("positive", random);
                events.Add(new ReplyEvent(email.Id, email.Ts.AddHours(1 + (47 * random.NextDouble())), intent, _definition.Id));
            }
            return new SimulatedTraffic(email, assignment, events, dropped);
        }

        double days = (email.Ts - _options.Start).TotalDays;
        double accuracy = Math.Max(0, _options.AccuracyByArm.GetValueOrDefault(behaves, _options.Accuracy) - (_options.AccuracyDecayPerDay * Math.Floor(days)));
        bool right = random.NextDouble() < accuracy;
        string predicted = right ? email.TrueIntent : OtherThan(email.TrueIntent, random);
        double confidence = right ? 0.6 + (0.4 * random.NextDouble()) : 0.3 + (0.5 * random.NextDouble());
        if (!dropped)
        {
            var phase = assignment.Phase == ExperimentPhase.AA ? EventPhase.AA : EventPhase.AB;
            events.Add(new ScoredEvent(email.Id, email.Ts, _definition.Id, assignment.Arm, email.Unit, assignment.Serves, predicted,
                Math.Round(confidence, 4), phase, Math.Round(2 + (3 * random.NextDouble()), 2)));
        }
        // Log-normal handling time around the median, with 3% of emails an order of magnitude slower.
        double handling = _options.MedianHandlingSeconds * (1 + _options.HandlingEffectByArm.GetValueOrDefault(behaves))
            * Math.Exp(_options.HandlingSigma * random.NextNormal()) * (random.NextDouble() < 0.03 ? 8 : 1);
        handling = Math.Round(handling, 1);
        string? confirmed = random.NextDouble() < _options.ConfirmedShare ? email.TrueIntent : null;
        events.Add(new OutcomeEvent(email.Id, email.Ts.AddSeconds(handling), confirmed, handling, _definition.Id));
        return new SimulatedTraffic(email, assignment, events, dropped);
    }

    /// <summary>Simulates every email and appends its events durably, in batches of <see cref="SimulationOptions.BatchSize"/> emails.</summary>
    public async Task<SimulationSummary> RunAsync(EventLogWriter writer, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var tally = new SimulationTally();
        var batch = new List<LogEvent>();
        long emails = 0;
        foreach (var email in Emails())
        {
            var traffic = await SimulateAsync(email, cancellationToken).ConfigureAwait(false);
            tally.Add(traffic);
            batch.AddRange(traffic.Events);
            if (++emails % _options.BatchSize == 0)
            {
                await writer.AppendAsync(batch, cancellationToken).ConfigureAwait(false);
                batch.Clear();
                progress?.Report(emails);
            }
        }
        await writer.AppendAsync(batch, cancellationToken).ConfigureAwait(false);
        progress?.Report(emails);
        return tally.Summary();
    }

    private string OtherThan(string intent, SimulationRandom random)
    {
        if (_intents.Length == 1)
        {
            return intent + "-other";
        }
        int pick = (int)(random.NextUInt64() % (ulong)(_intents.Length - 1));
        int own = Array.IndexOf(_intents, intent);
        return _intents[own >= 0 && pick >= own ? pick + 1 : pick];
    }

    private SimulationRandom RandomFor(string id, string purpose) =>
        new(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes($"{_options.Seed}\n{purpose}\n{id}")));
}

/// <summary>Adds up simulated traffic into a <see cref="SimulationSummary"/>.</summary>
public sealed class SimulationTally
{
    private readonly Dictionary<string, long> _perArm = new(StringComparer.Ordinal);
    private long _emails, _exposures, _dropped, _events;

    /// <summary>Counts one email's traffic.</summary>
    public void Add(SimulatedTraffic traffic)
    {
        ArgumentNullException.ThrowIfNull(traffic);
        _emails++;
        _perArm[traffic.Assignment.Arm] = _perArm.GetValueOrDefault(traffic.Assignment.Arm) + 1;
        _exposures += traffic.ExposureDropped ? 0 : 1;
        _dropped += traffic.ExposureDropped ? 1 : 0;
        _events += traffic.Events.Count;
    }

    /// <summary>The totals so far.</summary>
    public SimulationSummary Summary() => new(_emails, new SortedDictionary<string, long>(_perArm, StringComparer.Ordinal), _exposures, _dropped, _events);
}

/// <summary>SplitMix64: a small, fast generator whose whole state is one seed, so each email draws its own stream.</summary>
internal sealed class SimulationRandom(ulong seed)
{
    private ulong _state = seed;

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1), 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal (Box–Muller, one of the pair).</summary>
    public double NextNormal()
    {
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
