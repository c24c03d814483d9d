using System.Globalization;
using System.Text;
using System.Text.Json;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Statistics;

namespace Verdict.Experimentation.Tests.Events;

/// <summary>
/// The fast reader against <see cref="ReferenceReader"/> on seeded random logs: duplicated and out-of-order
/// events, outcomes before their exposures, orphans, mixed phases, up to six arms with escaped and non-ASCII
/// names, units in several arms, fallbacks, template replies, unknown types and fields, malformed lines, long
/// lines, several sources, and random look windows. Every count and every per-arm statistic must agree.
/// </summary>
public sealed class EventLogReaderDifferentialTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Intents = ["positive", "objection", "not-sure", "unsubscribe", "pricing"];

    internal sealed record Log(List<List<string>> Sources, string[] Experiments);

    /// <summary>A random log; every choice comes from <paramref name="seed"/>.</summary>
    internal static Log Generate(int seed)
    {
        var rng = new Random(seed);
        var lines = new List<string>();
        string[] experiments = rng.Next(2) == 0 ? ["exp-a"] : ["exp-a", "tpl-\u00e9"];
        int id = 0;
        foreach (string experiment in experiments)
        {
            bool template = experiment.StartsWith("tpl", StringComparison.Ordinal);
            string[] arms = [.. new[] { "champion", "challenger", "arm \"q\"", "b\u00e4r", "arm-4", "arm-5" }.Take(rng.Next(2, 7))];
            int unitsPool = rng.Next(2) == 0 ? int.MaxValue : rng.Next(20, 200);
            int exposures = rng.Next(100, 700);
            for (int k = 0; k < exposures; k++, id++)
            {
                string sid = $"s-{id}";
                // Now and then the id is written with an escape: the same id, read through the slow path.
                string sidJson = rng.Next(20) == 0 ? $"\"s\\u002d{id}\"" : Q(sid);
                int unit = unitsPool == int.MaxValue ? id : rng.Next(unitsPool);
                // Mostly one arm per unit; now and then a unit crosses arms, as a broken assignment would make it.
                string arm = rng.Next(30) == 0 ? arms[rng.Next(arms.Length)] : arms[unit % arms.Length];
                var ts = Start.AddMinutes(rng.Next(0, 60 * 24 * 5)).AddMilliseconds(rng.Next(1000));
                string phase = rng.Next(4) switch { 0 => "", 1 => "aa", _ => "ab" };
                string predicted = Intents[rng.Next(Intents.Length)];
                int copies = rng.Next(15) == 0 ? 2 : 1;
                for (int c = 0; c < copies; c++)
                {
                    var at = c == 0 ? ts : ts.AddSeconds(rng.Next(-3600, 3600));
                    var fields = new List<(string, string)>
                    {
                        ("type", template ? "\"assigned\"" : "\"scored\""), ("id", sidJson), ("ts", Q(Timestamp(at, rng))),
                        ("experiment", Q(experiment)), ("arm", Q(c == 0 ? arm : arms[rng.Next(arms.Length)])),
                    };
                    if (template || rng.Next(10) > 0)
                    {
                        fields.Add(("unit", Q($"u-{unit}")));
                    }
                    if (!template)
                    {
                        fields.Add(("model", Q(arm + "@1")));
                        fields.Add(("intent", Q(predicted)));
                        fields.Add(("confidence", Confidence(rng)));
                        if (rng.Next(30) == 0)
                        {
                            fields.Add(("fallback", "true"));
                        }
                    }
                    if (phase != "")
                    {
                        fields.Add(("phase", Q(phase)));
                    }
                    lines.Add(Line(fields, rng));
                }
                if (template)
                {
                    for (int r = rng.Next(3) == 0 ? rng.Next(1, 3) : 0; r > 0; r--)
                    {
                        lines.Add(Line([("type", "\"reply\""), ("id", Q(sid)), ("ts", Q(Timestamp(ts.AddHours(rng.Next(1, 48)), rng))), ("intent", Q(rng.Next(2) == 0 ? "positive" : "objection"))], rng));
                    }
                    continue;
                }
                for (int o = rng.Next(5) == 0 ? 0 : rng.Next(12) == 0 ? 2 : 1; o > 0; o--)
                {
                    var fields = new List<(string, string)> { ("type", "\"outcome\""), ("id", Q(sid)), ("ts", Q(Timestamp(ts.AddSeconds(rng.Next(-60, 86_400 * 2)), rng))) };
                    if (rng.Next(7) > 0)
                    {
                        fields.Add(("trueIntent", Q(rng.Next(4) > 0 ? predicted : Intents[rng.Next(Intents.Length)])));
                    }
                    if (rng.Next(3) == 0)
                    {
                        fields.Add(("covariate", (rng.NextDouble() * 600).ToString("0.##", CultureInfo.InvariantCulture)));
                    }
                    if (rng.Next(4) > 0)
                    {
                        fields.Add(("handlingSeconds", (rng.NextDouble() * 900).ToString(rng.Next(2) == 0 ? "0.###" : "R", CultureInfo.InvariantCulture)));
                    }
                    lines.Add(Line(fields, rng));
                }
            }
        }
        // Orphan outcomes, unknown types, malformed lines, blank lines.
        for (int i = rng.Next(5, 20); i > 0; i--)
        {
            lines.Add(Line([("type", "\"outcome\""), ("id", Q($"orphan-{i}")), ("ts", Q(Timestamp(Start.AddHours(i), rng))), ("trueIntent", "\"positive\"")], rng));
            lines.Add(Line([("type", "\"heartbeat\""), ("id", Q($"h-{i}")), ("ts", Q(Timestamp(Start, rng)))], rng));
            lines.Add(rng.Next(8) switch
            {
                0 => "not json at all",
                1 => """{"type":"scored","ts":"2026-11-01T00:00:00Z","experiment":"exp-a","arm":"champion","intent":"positive"}""",
                2 => """{"type":"scored","id":"bad-c","ts":"2026-11-01T00:00:00Z","experiment":"exp-a","arm":"champion","intent":"positive","confidence":1.5}""",
                3 => """{"type":"outcome","id":"s-1","ts":"2026-11-01T00:00:00Z","handlingSeconds":-3}""",
                4 => """{"type":"outcome","id":"s-1","ts":"yesterday"}""",
                5 => """{"type":"outcome","id":"s-1","ts":"2026-11-01T00:00:00Z"} x""",
                6 => """{"type":"scored","id":"bad-a","ts":"2026-11-01T00:00:00Z","experiment":"exp-a","arm":{"name":"x"},"intent":"positive"}""",
                _ => "   ",
            });
        }
        // Out of order, spread over one to four sources.
        var shuffled = lines.OrderBy(_ => rng.Next()).ToList();
        int sources = rng.Next(1, 5);
        return new Log([.. Enumerable.Range(0, sources).Select(s => shuffled.Where((_, i) => i % sources == s).ToList())], experiments);
    }

    private static string Q(string value) => JsonSerializer.Serialize(value).Replace("\\u0022", "\\\"", StringComparison.Ordinal);

    private static string Timestamp(DateTimeOffset t, Random rng) => rng.Next(3) switch
    {
        0 => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        1 => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
        _ => t.ToOffset(TimeSpan.FromHours(2)).ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", CultureInfo.InvariantCulture),
    };

    private static string Confidence(Random rng) => rng.Next(6) switch
    {
        0 => "1",
        1 => "0",
        2 => (rng.Next(1, 1000) / 1000.0).ToString("0.###", CultureInfo.InvariantCulture),
        3 => rng.NextDouble().ToString("R", CultureInfo.InvariantCulture),
        4 => "5e-1",
        _ => (rng.Next(0, 100) / 100.0).ToString("0.00", CultureInfo.InvariantCulture),
    };

    /// <summary>One JSON line with the fields in random order, now and then an unknown member, a nested one or a long one.</summary>
    private static string Line(List<(string Name, string Json)> fields, Random rng)
    {
        var all = fields.ToList();
        switch (rng.Next(25))
        {
            case 0:
                all.Add(("note", Q(new string('x', rng.Next(2000, 20_000)) + "\u00fc")));
                break;
            case 1:
                all.Add(("extra", """{"a":[1,2,{"b":null}]}"""));
                break;
            case 2:
                all.Add(("latencyMs", "12.5"));
                break;
            case 3:
                all.Add(("model", "null"));
                break;
            default:
                break;
        }
        return "{" + string.Join(",", all.OrderBy(_ => rng.Next()).Select(f => $"\"{f.Name}\":{f.Json}")) + "}";
    }

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 40)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void FastReader_AgreesWithTheReferenceReader_OnARandomLog(int seed)
    {
        var log = Generate(seed);
        var rng = new Random(seed * 7919);
        DateTimeOffset? asOf = rng.Next(3) == 0 ? Start.AddDays(rng.Next(1, 5)) : null;
        DateTimeOffset? since = rng.Next(3) == 0 ? Start.AddHours(rng.Next(1, 30)) : null;
        bool excludeFallbacks = rng.Next(2) == 0;
        foreach (string experiment in log.Experiments)
        {
            var fast = new EventLogReader(experiment, asOf, strict: false, since: since, excludeFallbacks: excludeFallbacks);
            var reference = new ReferenceReader(experiment, asOf, since, excludeFallbacks, new HashSet<string> { "positive" });
            for (int s = 0; s < log.Sources.Count; s++)
            {
                using var stream = new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", log.Sources[s]) + "\n"));
                fast.Read(stream, $"source-{s}.jsonl");
                log.Sources[s].ForEach(reference.ReadLine);
            }
            foreach (var (phase, name) in new[] { (EventPhase.Unspecified, ""), (EventPhase.AA, "aa"), (EventPhase.AB, "ab") })
            {
                Compare(fast.Complete(phase), reference, reference.Summarize(name), $"seed {seed}, {experiment}, phase '{name}'");
            }
        }
    }

    private static void Compare(ExperimentObservations fast, ReferenceReader reference, ReferenceReader.Summary expected, string where)
    {
        var d = fast.Diagnostics;
        Assert.Equal(
            (reference.Lines, reference.Malformed, reference.UnknownTypes, reference.OtherExperiments, reference.AfterAsOf, reference.BeforeSince, reference.DuplicateExposures, reference.DuplicateOutcomes, expected.Orphans, expected.Fallbacks, expected.UnitsInSeveralArms),
            (d.Lines, d.MalformedLines, d.UnknownTypes, d.OtherExperiments, d.AfterAsOf, d.BeforeSince, d.DuplicateExposures, d.DuplicateOutcomes, d.OrphanOutcomes, d.FallbackExposures, d.UnitsInSeveralArms));
        Assert.True(expected.Several == fast.SeveralExposuresPerUnit, where + ": several exposures per unit");
        Assert.True(expected.Template == fast.IsTemplate, where + ": template");
        Assert.Equal(expected.First, fast.FirstExposure);
        Assert.Equal(expected.Last, fast.LastExposure);

        var byArm = expected.Emails.GroupBy(e => e.Arm).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var units = expected.UnitsPerArm;
        Assert.Equal(byArm.Keys.Union(units.Keys).Order(StringComparer.Ordinal), fast.Arms.Select(a => a.Name));
        var labels = fast.Intents.ToList();
        foreach (var arm in fast.Arms)
        {
            string at = $"{where}, arm {arm.Name}";
            var emails = byArm.GetValueOrDefault(arm.Name) ?? [];
            Assert.True(emails.Count == arm.Exposures, $"{at}: exposures {arm.Exposures}, expected {emails.Count}");
            Assert.True(units.GetValueOrDefault(arm.Name) == arm.Units, $"{at}: units");
            Assert.Equal(emails.Where(e => e.Model != "").Select(e => e.Model).Distinct().Order(StringComparer.Ordinal), arm.Models);
            var labelled = emails.Where(e => e.Labelled).ToList();
            Assert.Equal(new ProportionSummary(labelled.Count, labelled.Count(e => e.TrueIntent == e.Intent)), arm.Accuracy);
            var timed = emails.Where(e => e.Timed).ToList();
            Assert.Equal(timed.Count, arm.Handling.Count);
            Assert.Equal(timed.Sum(e => e.Handling), arm.Handling.Mean * arm.Handling.Count, 1e-6);
            if (expected.Template)
            {
                var sent = emails.Where(e => e.Template).ToList();
                Assert.Equal(new ProportionSummary(sent.Count, sent.Count(e => e.Replied)), arm.Replies);
                Assert.Equal(new ProportionSummary(sent.Count, sent.Count(e => e.Positive)), arm.PositiveReplies);
            }
            // The confusion matrix, cell by cell, by name.
            foreach (var cell in labelled.Where(e => e.Intent != "").GroupBy(e => (e.TrueIntent, e.Intent)))
            {
                Assert.True(cell.Count() == arm.Confusion[(labels.IndexOf(cell.Key.TrueIntent) * labels.Count) + labels.IndexOf(cell.Key.Intent)], $"{at}: confusion {cell.Key}");
            }
            Assert.Equal(labelled.Count(e => e.Intent != ""), arm.Confusion.Sum());
            var confident = labelled.Where(e => !double.IsNaN(e.Confidence)).ToList();
            Assert.Equal(confident.Count, arm.Brier.Count);
            for (int b = 0; b < CalibrationBin.Bins; b++)
            {
                Assert.Equal(confident.Count(e => CalibrationBin.Of(e.Confidence) == b), arm.Calibration[b].Count);
            }
            Assert.Equal(emails.Count(e => e.Outcome), arm.OutcomeDelays.Count);
            if (expected.First is { } first)
            {
                var day0 = first.UtcDateTime.Date;
                var perDay = emails.GroupBy(e => (int)(e.ExposureTs.UtcDateTime - day0).TotalDays).ToDictionary(g => g.Key, g => (long)g.Count());
                Assert.Equal(perDay.Values.Sum(), arm.Days.Sum(day => day.Exposures));
                foreach (var (day, count) in perDay)
                {
                    Assert.True(count == arm.Days[day].Exposures, $"{at}: day {day}");
                }
            }
            if (expected.Several)
            {
                var perUnit = emails.GroupBy(e => e.Unit).ToList();
                Assert.Equal(perUnit.Count(g => g.Any(e => e.Labelled)), arm.AccuracyByUnit.Units);
                Assert.Equal(perUnit.Count(g => g.Any(e => e.Timed)), arm.HandlingByUnit.Units);
                Assert.Equal(perUnit.Count(g => g.Any(e => e.Timed)), arm.HandlingValues.Count);
            }
            else
            {
                Assert.Equal(timed.Select(e => e.Handling).Order(), arm.HandlingValues.Order());
                var adjusted = timed.Where(e => !double.IsNaN(e.Covariate)).ToList();
                Assert.Equal(adjusted.Count, arm.CupedHandling.Units);
                Assert.Equal(adjusted.Sum(e => e.Covariate), arm.CupedHandling.MeanX * arm.CupedHandling.Units, 1e-6);
            }
        }
    }
}
