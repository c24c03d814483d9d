using static Verdict.Experimentation.Events.RecordFlags;

namespace Verdict.Experimentation.Events;

/// <summary>
/// The third stage: the joined records of one experiment and phase aggregated per arm, per unit and per day into
/// the sufficient statistics the analysis needs (<see cref="ExperimentObservations"/>).
/// </summary>
/// <remarks>
/// Units seen in several arms are left out of every metric. When every unit has one exposure, metrics are read
/// per email; otherwise per unit, as ratios (the delta method's inputs).
/// </remarks>
internal static class EventAggregation
{
    /// <summary>
    /// One experiment's observations in one phase. With <paramref name="partial"/> (partial aggregates, which merge with
    /// others) unit-level sums and handling values are both kept, whatever this part alone holds: only the whole tells
    /// whether units have several exposures.
    /// </summary>
    public static ExperimentObservations Aggregate(EventJoin join, EventLineParser parser, int sources, int experiment, string name, EventPhase chosen, bool excludeFallbacks, bool partial = false)
    {
        int arms = parser.Arms.Count;
        var observations = Enumerable.Range(0, arms).Select(a => new ArmObservations(parser.Arms[a])).ToArray();
        var exposures = new long[arms];
        var modelsByArm = new HashSet<int>[arms];

        // Pass 1: each unit's arm (-2 when it saw several) and exposure count.
        int units = join.UnitCount;
        var unitArm = new short[units];
        var unitExposures = new int[units];
        Array.Fill(unitArm, (short)-1);
        bool isTemplate = false;
        var timedUpTo = new int[arms];
        long first = long.MaxValue, last = long.MinValue, orphans = 0, fallbacks = 0;
        for (int i = 0; i < join.Records.Count; i++)
        {
            ref JoinRecord r = ref join.Records[i];
            if ((r.Flags & HasExposure) == 0)
            {
                orphans += (r.Flags & (HasOutcome | HasReply)) != 0 ? 1 : 0;
                continue;
            }
            if (!Selected(in r, experiment, chosen))
            {
                continue;
            }
            if ((r.Flags & IsFallback) != 0)
            {
                fallbacks++;
                if (excludeFallbacks)
                {
                    continue;
                }
            }
            isTemplate |= (r.Flags & IsTemplate) != 0;
            timedUpTo[r.Arm] += (r.Flags & HasHandling) != 0 ? 1 : 0;
            unitArm[r.Unit] = unitArm[r.Unit] == -1 || unitArm[r.Unit] == r.Arm ? r.Arm : (short)-2;
            unitExposures[r.Unit]++;
            first = Math.Min(first, r.ExposureTicks);
            last = Math.Max(last, r.ExposureTicks);
        }
        bool several = unitExposures.Any(n => n > 1);
        if (!several)
        {
            // Sized once: a growing list would briefly hold its values twice.
            for (int a = 0; a < arms; a++)
            {
                observations[a].HandlingValues.EnsureCapacity(timedUpTo[a]);
            }
        }
        long conflicted = unitArm.LongCount(a => a == -2);

        long firstDay = first == long.MaxValue ? 0 : first - (first % TimeSpan.TicksPerDay);
        int intents = parser.Intents.Count;
        bool covariates = join.HasCovariates;
        bool shadows = join.HasShadows;
        var paired = new Dictionary<(short Served, short Shadow), ShadowTally>();
        foreach (var arm in observations)
        {
            arm.Confusion = new long[intents * intents];
        }
        // Pass 2: email-level statistics and per-unit sums, leaving out units seen in several arms.
        bool unitLevel = several || partial, values = !several || partial;
        var unitLabelled = unitLevel ? new int[units] : [];
        var unitCorrect = unitLevel ? new int[units] : [];
        var unitTimed = unitLevel ? new int[units] : [];
        var unitSeconds = unitLevel ? new double[units] : [];
        var unitReplies = unitLevel ? new int[units] : [];
        var unitPositive = unitLevel ? new int[units] : [];
        for (int i = 0; i < join.Records.Count; i++)
        {
            ref JoinRecord r = ref join.Records[i];
            if ((r.Flags & HasExposure) == 0 || !Selected(in r, experiment, chosen) || unitArm[r.Unit] < 0 || (excludeFallbacks && (r.Flags & IsFallback) != 0))
            {
                continue;
            }
            var arm = observations[r.Arm];
            exposures[r.Arm]++;
            if (r.Model >= 0)
            {
                (modelsByArm[r.Arm] ??= []).Add(r.Model);
            }
            bool labelled = (r.Flags & HasLabel) != 0, timed = (r.Flags & HasHandling) != 0;
            bool correct = labelled && r.TrueIntent == r.Intent;
            if (shadows && r.Model >= 0)
            {
                foreach (var (model, intent, latency) in join.ShadowsAt(i))
                {
                    var key = (r.Model, model);
                    if (!paired.TryGetValue(key, out var tally))
                    {
                        paired[key] = tally = new ShadowTally();
                    }
                    tally.Shadowed++;
                    tally.Agreed += intent == r.Intent ? 1 : 0;
                    if (!double.IsNaN(latency))
                    {
                        tally.LatencyMicroseconds.Add(latency * 1000);
                    }
                    if (labelled)
                    {
                        bool shadowCorrect = intent == r.TrueIntent;
                        tally.N++;
                        tally.Both += correct && shadowCorrect ? 1 : 0;
                        tally.ServedOnly += correct && !shadowCorrect ? 1 : 0;
                        tally.ShadowOnly += !correct && shadowCorrect ? 1 : 0;
                    }
                }
            }
            if (labelled)
            {
                arm.Accuracy = arm.Accuracy.Add(correct);
                if (r.Intent >= 0)
                {
                    arm.Confusion[(r.TrueIntent * intents) + r.Intent]++;
                }
                if (!double.IsNaN(r.Confidence))
                {
                    ref var bin = ref arm.Calibration[CalibrationBin.Of(r.Confidence)];
                    bin = new CalibrationBin(bin.Count + 1, bin.ConfidenceSum + r.Confidence, bin.Correct + (correct ? 1 : 0));
                    double miss = r.Confidence - (correct ? 1 : 0);
                    arm.Brier = arm.Brier.Add(miss * miss);
                }
            }
            if ((r.Flags & HasOutcome) != 0)
            {
                arm.OutcomeDelays.Add((double)(r.OutcomeTicks - r.ExposureTicks) / TimeSpan.TicksPerSecond);
            }
            if (timed)
            {
                arm.Handling = arm.Handling.Add(r.Handling);
                arm.HandlingLog = arm.HandlingLog.Add(Math.Log(1 + r.Handling));
                if (values)
                {
                    arm.HandlingValues.Add(r.Handling);
                }
                if (covariates && join.CovariateAt(i) is var x && !double.IsNaN(x))
                {
                    arm.CupedHandling = arm.CupedHandling.Add(x, r.Handling);
                }
            }
            if ((r.Flags & IsTemplate) != 0)
            {
                arm.Replies = arm.Replies.Add((r.Flags & HasReply) != 0);
                arm.PositiveReplies = arm.PositiveReplies.Add((r.Flags & HasPositiveReply) != 0);
            }
            int day = (int)((r.ExposureTicks - firstDay) / TimeSpan.TicksPerDay);
            while (arm.Days.Count <= day)
            {
                arm.Days.Add(default);
            }
            var today = arm.Days[day];
            arm.Days[day] = new DayCounts(
                today.Exposures + 1,
                labelled ? today.Accuracy.Add(correct) : today.Accuracy,
                (r.Flags & IsTemplate) != 0 ? today.PositiveReplies.Add((r.Flags & HasPositiveReply) != 0) : today.PositiveReplies);
            if (unitLevel)
            {
                int u = r.Unit;
                unitLabelled[u] += labelled ? 1 : 0;
                unitCorrect[u] += correct ? 1 : 0;
                unitTimed[u] += timed ? 1 : 0;
                unitSeconds[u] += timed ? r.Handling : 0;
                unitReplies[u] += (r.Flags & HasReply) != 0 ? 1 : 0;
                unitPositive[u] += (r.Flags & HasPositiveReply) != 0 ? 1 : 0;
            }
        }

        // Pass 3: unit-level ratio metrics.
        for (int u = 0; u < units; u++)
        {
            if (unitArm[u] < 0)
            {
                continue;
            }
            var arm = observations[unitArm[u]];
            arm.Units++;
            if (!unitLevel)
            {
                continue;
            }
            if (unitLabelled[u] > 0)
            {
                arm.AccuracyByUnit = arm.AccuracyByUnit.Add(unitCorrect[u], unitLabelled[u]);
            }
            if (unitTimed[u] > 0)
            {
                arm.HandlingByUnit = arm.HandlingByUnit.Add(unitSeconds[u], unitTimed[u]);
                (partial ? arm.UnitHandlingMeans : arm.HandlingValues).Add(unitSeconds[u] / unitTimed[u]);
            }
            arm.RepliesByUnit = arm.RepliesByUnit.Add(unitReplies[u], unitExposures[u]);
            arm.PositiveRepliesByUnit = arm.PositiveRepliesByUnit.Add(unitPositive[u], unitExposures[u]);
        }

        for (int a = 0; a < arms; a++)
        {
            observations[a].Exposures = exposures[a];
            foreach (int m in modelsByArm[a] ?? [])
            {
                observations[a].Models.Add(parser.Models[m]);
            }
        }

        return new ExperimentObservations
        {
            Experiment = name,
            IsTemplate = isTemplate,
            Phase = chosen,
            SeveralExposuresPerUnit = several,
            Intents = [.. Enumerable.Range(0, intents).Select(i => parser.Intents[i])],
            Paired = paired.ToDictionary(kv => (parser.Models[kv.Key.Served], parser.Models[kv.Key.Shadow]), kv => kv.Value),
            Arms = [.. observations.Where(o => o.Exposures > 0 || o.Units > 0).OrderBy(o => o.Name, StringComparer.Ordinal)],
            FirstExposure = first == long.MaxValue ? null : new DateTimeOffset(first, TimeSpan.Zero),
            LastExposure = last == long.MinValue ? null : new DateTimeOffset(last, TimeSpan.Zero),
            Diagnostics = new EventLogDiagnostics
            {
                Sources = sources,
                Lines = parser.Lines,
                MalformedLines = parser.Malformed,
                MalformedExamples = [.. parser.MalformedExamples],
                UnknownTypes = parser.UnknownTypes,
                DuplicateExposures = join.DuplicateExposures,
                DuplicateOutcomes = join.DuplicateOutcomes,
                OrphanOutcomes = orphans,
                OtherExperiments = parser.OtherExperiments,
                AfterAsOf = parser.AfterAsOf,
                BeforeSince = parser.BeforeSince,
                UnitsInSeveralArms = conflicted,
                FallbackExposures = fallbacks,
                FallbacksExcluded = excludeFallbacks,
            },
        };
    }

    private static bool Selected(in JoinRecord r, int experiment, EventPhase phase) =>
        r.Experiment == experiment && (phase == EventPhase.Unspecified || r.Phase == (byte)phase);
}
