using System.Text.Json;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Experiments;
using Verdict.Experimentation.Simulation;
using Verdict.Experimentation.Tests.Experiments;

namespace Verdict.Experimentation.Tests.Simulation;

/// <summary>The traffic simulator: reproducible, following what each arm serves, with the effects and bugs it is asked for.</summary>
public sealed class TrafficSimulatorTests
{
    private static readonly CorpusEmail[] Corpus =
    [
        new("Yes, let's talk Tuesday.", "positive"), new("Not interested.", "objection"), new("Remove me.", "unsubscribe"), new("Away until Monday.", "out-of-office"),
    ];

    /// <summary>Alternates arms by unit number, so tests know each unit's arm without storage.</summary>
    private sealed class AlternatingAssigner(ExperimentDefinition definition) : IArmAssigner
    {
        public ValueTask<ArmAssignment?> AssignAsync(string experiment, string unit, CancellationToken cancellationToken = default)
        {
            var arm = definition.Arms[int.Parse(unit[^1..], System.Globalization.CultureInfo.InvariantCulture) % 2];
            var served = definition.Phase == ExperimentPhase.AA ? definition.Arms[0].Serves : arm.Serves;
            return ValueTask.FromResult<ArmAssignment?>(new ArmAssignment(experiment, arm.Name, served, definition.Phase,
                definition.Phase == ExperimentPhase.AA ? AssignmentReason.AllocatedAA : AssignmentReason.Allocated));
        }
    }

    private static async Task<List<SimulatedTraffic>> RunAsync(ExperimentPhase phase, SimulationOptions options)
    {
        var definition = ExperimentTestData.Model("sim-test") with { Phase = phase };
        var simulator = new TrafficSimulator(new AlternatingAssigner(definition), definition, options);
        var traffic = new List<SimulatedTraffic>();
        foreach (var email in simulator.Emails())
        {
            traffic.Add(await simulator.SimulateAsync(email));
        }
        return traffic;
    }

    private static string Json(LogEvent e)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            e.WriteTo(writer);
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static double Accuracy(IEnumerable<SimulatedTraffic> traffic) =>
        traffic.Select(t => (Scored: t.Events.OfType<ScoredEvent>().Single(), Outcome: t.Events.OfType<OutcomeEvent>().Single()))
            .Where(p => p.Outcome.TrueIntent is not null).Average(p => p.Scored.Intent == p.Outcome.TrueIntent ? 1.0 : 0.0);

    private static double MedianHandling(IEnumerable<SimulatedTraffic> traffic)
    {
        var values = traffic.Select(t => t.Events.OfType<OutcomeEvent>().Single().HandlingSeconds!.Value).Order().ToList();
        return values[values.Count / 2];
    }

    [Fact]
    public async Task Simulate_SameOptionsTwice_ProducesIdenticalEvents()
    {
        var options = new SimulationOptions { Units = 500, Corpus = Corpus };

        var first = await RunAsync(ExperimentPhase.AB, options);
        var second = await RunAsync(ExperimentPhase.AB, options);
        var reseeded = await RunAsync(ExperimentPhase.AB, options with { Seed = "other" });

        Assert.Equal(first.SelectMany(t => t.Events).Select(Json), second.SelectMany(t => t.Events).Select(Json));
        Assert.NotEqual(first.SelectMany(t => t.Events).Select(Json), reseeded.SelectMany(t => t.Events).Select(Json));
    }

    [Fact]
    public async Task Simulate_AbPhase_AppliesEachArmsAccuracyAndHandlingEffect()
    {
        var options = new SimulationOptions
        {
            Units = 20_000, Corpus = Corpus, Accuracy = 0.7, AccuracyByArm = new Dictionary<string, double> { ["challenger"] = 0.9 },
            HandlingEffectByArm = new Dictionary<string, double> { ["challenger"] = -0.2 }, MedianHandlingSeconds = 100,
        };

        var traffic = await RunAsync(ExperimentPhase.AB, options);

        var champion = traffic.Where(t => t.Assignment.Arm == "champion").ToList();
        var challenger = traffic.Where(t => t.Assignment.Arm == "challenger").ToList();
        // Binomial standard error at n ≈ 9,000 confirmed outcomes is below 0.005; the bands are four of them.
        Assert.InRange(Accuracy(champion), 0.68, 0.72);
        Assert.InRange(Accuracy(challenger), 0.88, 0.92);
        Assert.InRange(MedianHandling(champion), 95, 105);
        Assert.InRange(MedianHandling(challenger), 76, 84);
        Assert.All(challenger, t => Assert.Equal("intent@2", t.Events.OfType<ScoredEvent>().Single().Model));
        Assert.All(challenger, t => Assert.Equal(EventPhase.AB, t.Events.OfType<ScoredEvent>().Single().Phase));
    }

    [Fact]
    public async Task Simulate_AaPhase_EveryArmBehavesLikeTheControl()
    {
        var options = new SimulationOptions
        {
            Units = 20_000, Corpus = Corpus, Accuracy = 0.7, AccuracyByArm = new Dictionary<string, double> { ["challenger"] = 0.95 },
        };

        var traffic = await RunAsync(ExperimentPhase.AA, options);

        var challenger = traffic.Where(t => t.Assignment.Arm == "challenger").ToList();
        Assert.InRange(Accuracy(challenger), 0.68, 0.72);
        Assert.All(challenger, t => Assert.Equal("intent@1", t.Events.OfType<ScoredEvent>().Single().Model));
        Assert.All(challenger, t => Assert.Equal(EventPhase.AA, t.Events.OfType<ScoredEvent>().Single().Phase));
    }

    [Fact]
    public async Task Simulate_DroppedExposures_KeepTheOutcomeAndLoseOnlyThatArmsExposures()
    {
        var options = new SimulationOptions { Units = 20_000, Corpus = Corpus, DropExposures = new Dictionary<string, double> { ["challenger"] = 0.05 } };

        var traffic = await RunAsync(ExperimentPhase.AB, options);

        Assert.DoesNotContain(traffic, t => t.Assignment.Arm == "champion" && t.ExposureDropped);
        var dropped = traffic.Where(t => t.ExposureDropped).ToList();
        Assert.InRange(dropped.Count, 400, 600); // 5% of 10,000: sd ≈ 22
        Assert.All(dropped, t => Assert.IsType<OutcomeEvent>(Assert.Single(t.Events)));
    }

    [Fact]
    public async Task Simulate_TemplateExperiment_LogsAssignmentsAndRepliesAtTheArmsRates()
    {
        var definition = ExperimentTestData.Model("tpl-test") with
        {
            Kind = ExperimentKind.Template, Phase = ExperimentPhase.AB,
            Arms = [new ArmDefinition("champion", 0.5, "welcome-a"), new ArmDefinition("challenger", 0.5, "welcome-b")],
        };
        var options = new SimulationOptions
        {
            Units = 20_000, Corpus = Corpus, ReplyRate = 0.3, PositiveReplyRate = 0.05,
            PositiveReplyRateByArm = new Dictionary<string, double> { ["challenger"] = 0.15 },
        };
        var simulator = new TrafficSimulator(new AlternatingAssigner(definition), definition, options);
        var traffic = new List<SimulatedTraffic>();
        foreach (var email in simulator.Emails())
        {
            traffic.Add(await simulator.SimulateAsync(email));
        }

        Assert.All(traffic, t => Assert.IsType<AssignedEvent>(t.Events[0]));
        double PositiveRate(string arm) => traffic.Where(t => t.Assignment.Arm == arm).Average(t => t.Events.OfType<ReplyEvent>().Any(r => r.Intent == "positive") ? 1.0 : 0.0);
        Assert.InRange(PositiveRate("champion"), 0.04, 0.06);
        Assert.InRange(PositiveRate("challenger"), 0.135, 0.165);
        Assert.InRange(traffic.Average(t => t.Events.OfType<ReplyEvent>().Any() ? 1.0 : 0.0), 0.29, 0.31);
    }

    [Fact]
    public void Options_UnknownArmOrOutOfRange_AreRefusedNamingTheOption()
    {
        var definition = ExperimentTestData.Model("sim-test") with { Phase = ExperimentPhase.AB };
        var assigner = new AlternatingAssigner(definition);

        var unknown = Assert.Throws<ArgumentException>(() => new TrafficSimulator(assigner, definition,
            new SimulationOptions { Corpus = Corpus, AccuracyByArm = new Dictionary<string, double> { ["ghost"] = 0.9 } }));
        var range = Assert.ThrowsAny<ArgumentException>(() => new TrafficSimulator(assigner, definition,
            new SimulationOptions { Corpus = Corpus, DropExposures = new Dictionary<string, double> { ["challenger"] = 1.5 } }));
        var empty = Assert.Throws<ArgumentException>(() => new TrafficSimulator(assigner, definition, new SimulationOptions { Corpus = [] }));

        Assert.Equal("AccuracyByArm", unknown.ParamName);
        Assert.Equal("DropExposures", range.ParamName);
        Assert.Equal("Corpus", empty.ParamName);
    }

    [Fact]
    public async Task Simulate_ExperimentNotRunning_Refuses()
    {
        var definition = ExperimentTestData.Model("sim-test") with { Phase = ExperimentPhase.Decided };
        var simulator = new TrafficSimulator(new AlternatingAssigner(definition), definition, new SimulationOptions { Corpus = Corpus });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => simulator.SimulateAsync(simulator.Emails().First()).AsTask());

        Assert.Contains("not running", error.Message, StringComparison.Ordinal);
    }
}
