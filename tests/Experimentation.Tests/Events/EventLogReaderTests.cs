using System.Text;
using Verdict.Experimentation.Events;

namespace Verdict.Experimentation.Tests.Events;

public sealed class EventLogReaderTests
{
    private static EventLogReader Read(string text, string? experiment = null, bool strict = false, DateTimeOffset? asOf = null)
    {
        var reader = new EventLogReader(experiment, asOf, strict);
        reader.Read(new MemoryStream(Encoding.UTF8.GetBytes(text)), "log.jsonl");
        return reader;
    }

    private static string Scored(string id, string arm, string ts = "2026-11-01T10:00:00Z", string unit = "", string intent = "positive", string experiment = "e") =>
        $$"""{"type":"scored","id":"{{id}}","ts":"{{ts}}","experiment":"{{experiment}}","arm":"{{arm}}",{{(unit.Length > 0 ? $"\"unit\":\"{unit}\"," : "")}}"model":"m@1","intent":"{{intent}}","confidence":0.8}""" + "\n";

    private static string Outcome(string id, string truth, double seconds, string ts = "2026-11-01T11:00:00Z") =>
        $$"""{"type":"outcome","id":"{{id}}","ts":"{{ts}}","trueIntent":"{{truth}}","handlingSeconds":{{seconds}}}""" + "\n";

    [Fact]
    public void Complete_OutcomeBeforeExposure_IsJoined()
    {
        var obs = Read(Outcome("a", "positive", 30) + Scored("a", "x") + Scored("b", "y") + Outcome("b", "objection", 50)).Complete();
        var x = obs.Arms.Single(a => a.Name == "x");
        Assert.Equal(new(1, 1), x.Accuracy);
        Assert.Equal(30, x.Handling.Mean);
        Assert.Equal(new(1, 0), obs.Arms.Single(a => a.Name == "y").Accuracy);
    }

    [Fact]
    public void Complete_DuplicateExposure_FirstByTimestampCounts()
    {
        var obs = Read(Scored("a", "late", ts: "2026-11-01T12:00:00Z") + Scored("a", "early", ts: "2026-11-01T09:00:00Z") + Scored("b", "late")).Complete();
        Assert.Equal(1, obs.Arms.Single(a => a.Name == "early").Exposures);
        Assert.Equal(1, obs.Arms.Single(a => a.Name == "late").Exposures);
        Assert.Equal(1, obs.Diagnostics.DuplicateExposures);
    }

    [Fact]
    public void Complete_DuplicateOutcome_LatestTimestampWins()
    {
        var obs = Read(Scored("a", "x") + Outcome("a", "objection", 99, ts: "2026-11-02T00:00:00Z") + Outcome("a", "positive", 10, ts: "2026-11-01T00:00:00Z")).Complete();
        var x = obs.Arms.Single();
        Assert.Equal(new(1, 0), x.Accuracy);
        Assert.Equal(99, x.Handling.Mean);
        Assert.Equal(1, obs.Diagnostics.DuplicateOutcomes);
    }

    [Fact]
    public void Complete_ManyBatches_JoinsEveryOutcomeAndKeepsTheDuplicateRulesAcrossBatches()
    {
        // Far more events than the reader's batches in flight hold, so parsing and joining overlap.
        const int Emails = 30_000;
        var log = new StringBuilder();
        for (int i = 0; i < Emails; i++)
        {
            log.Append(Scored($"id-{i}", i / 3 % 2 == 0 ? "x" : "y", unit: $"u-{i / 3}"));
        }
        for (int i = 0; i < Emails; i++)
        {
            log.Append(Outcome($"id-{i}", i % 5 == 0 ? "objection" : "positive", i % 7, ts: "2026-11-01T12:00:00Z"));
        }
        // A later duplicate exposure (ignored) and an earlier duplicate outcome (ignored), far from the originals.
        log.Append(Scored("id-0", "x", ts: "2026-11-02T10:00:00Z", unit: "u-0"));
        log.Append(Outcome("id-1", "objection", 1000, ts: "2026-11-01T11:00:00Z"));

        var obs = Read(log.ToString()).Complete();

        Assert.Equal(Emails, obs.Arms.Sum(a => a.Exposures));
        Assert.Equal(Emails, obs.Arms.Sum(a => a.Accuracy.Count));
        Assert.Equal(Emails / 5, obs.Arms.Sum(a => a.Accuracy.Count - a.Accuracy.Successes));
        Assert.Equal(Enumerable.Range(0, Emails).Sum(i => i % 7), obs.Arms.Sum(a => a.Handling.Mean * a.Handling.Count), 6);
        Assert.Equal(Emails / 3, obs.Arms.Sum(a => a.Units));
        Assert.Equal(1, obs.Diagnostics.DuplicateExposures);
        Assert.Equal(1, obs.Diagnostics.DuplicateOutcomes);
        Assert.Equal(0, obs.Diagnostics.UnitsInSeveralArms);
    }

    [Fact]
    public void Complete_AfterManySources_JoinsAcrossThemAsOneLog()
    {
        // Each source is parsed while the previous ones are still being joined; Complete waits for them all.
        var reader = new EventLogReader("e", null, strict: false);
        reader.Reserve(2_000_000);
        const int Sources = 12, PerSource = 5_000;
        for (int s = 0; s < Sources; s++)
        {
            var log = new StringBuilder();
            for (int i = 0; i < PerSource; i++)
            {
                int id = (s * PerSource) + i;
                log.Append(Scored($"id-{id}", id % 2 == 0 ? "x" : "y"));
                if (s > 0)
                {
                    // The outcomes of the previous source's emails, one source later.
                    int earlier = id - PerSource;
                    log.Append(Outcome($"id-{earlier}", earlier % 3 == 0 ? "objection" : "positive", 10));
                }
            }
            reader.Read(new MemoryStream(Encoding.UTF8.GetBytes(log.ToString())), $"part-{s}.jsonl");
        }

        var obs = reader.Complete();

        int labelled = (Sources - 1) * PerSource;
        Assert.Equal(Sources * PerSource, obs.Arms.Sum(a => a.Exposures));
        Assert.Equal(labelled, obs.Arms.Sum(a => a.Accuracy.Count));
        Assert.Equal(Enumerable.Range(0, labelled).Count(i => i % 3 == 0), obs.Arms.Sum(a => a.Accuracy.Count - a.Accuracy.Successes));
        Assert.Equal(0, obs.Diagnostics.OrphanOutcomes);
        Assert.Equal(Sources, obs.Diagnostics.Sources);
    }

    [Fact]
    public void Read_MalformedLineWhenStrictAfterManyBatches_ThrowsNamingFileAndLine()
    {
        var log = new StringBuilder();
        for (int i = 0; i < 20_000; i++)
        {
            log.Append(Scored($"id-{i}", "x"));
        }
        log.Append("{\"type\":\"scored\"}\n");
        var ex = Assert.Throws<EventLogException>(() => Read(log.ToString(), strict: true));
        Assert.Equal("log.jsonl:20001: id is missing", ex.Message);
    }

    [Fact]
    public void Read_MalformedLine_ReportedWithFileAndLineThenSkipped()
    {
        var obs = Read(Scored("a", "x") + "{not json\n" + Scored("b", "x")).Complete();
        Assert.Equal(1, obs.Diagnostics.MalformedLines);
        Assert.StartsWith("log.jsonl:2: not valid JSON", obs.Diagnostics.MalformedExamples.Single());
        Assert.Equal(2, obs.Arms.Single().Exposures);
    }

    [Fact]
    public void Read_MalformedLineWhenStrict_ThrowsNamingFileAndLine()
    {
        var ex = Assert.Throws<EventLogException>(() => Read(Scored("a", "x") + Scored("b", "x") + """{"type":"scored","id":"c"}""" + "\n", strict: true));
        Assert.Equal("log.jsonl:3: ts is missing", ex.Message);
    }

    [Theory]
    [InlineData("-4", "handlingSeconds must be a number ≥ 0")]
    [InlineData("\"12\"", "handlingSeconds must be a number ≥ 0")]
    public void Read_BadHandlingTime_IsAMalformedLineWithReason(string value, string reason)
    {
        var obs = Read(Scored("a", "x") + $$"""{"type":"outcome","id":"a","ts":"2026-11-01T10:00:00Z","handlingSeconds":{{value}}}""" + "\n").Complete();
        Assert.Equal($"log.jsonl:2: {reason}", obs.Diagnostics.MalformedExamples.Single());
        Assert.Equal(0, obs.Arms.Single().Handling.Count);
    }

    [Fact]
    public void Read_UnknownTypeAndUnknownFields_AreCountedOrIgnored()
    {
        var obs = Read("""{"type":"clicked","id":"z","ts":"2026-11-01T10:00:00Z"}""" + "\n" + Scored("a", "x").Replace("\"confidence\"", "\"extra\":{\"deep\":[1,2]},\"confidence\"", StringComparison.Ordinal)).Complete();
        Assert.Equal(1, obs.Diagnostics.UnknownTypes);
        Assert.Equal(0, obs.Diagnostics.MalformedLines);
        Assert.Equal(1, obs.Arms.Single().Exposures);
    }

    [Fact]
    public void Read_ContentAfterTheObject_IsAMalformedLine()
    {
        var obs = Read(Scored("a", "x").TrimEnd('\n') + " {}\n" + Scored("b", "x")).Complete();
        Assert.StartsWith("log.jsonl:1: not valid JSON", obs.Diagnostics.MalformedExamples.Single());
        Assert.Equal(1, obs.Arms.Single().Exposures);
    }

    [Theory]
    [InlineData("0", true)]
    [InlineData("1", true)]
    [InlineData("0.8", true)]
    [InlineData("1.0", true)]
    [InlineData("1e0", true)]
    [InlineData("-0", true)]
    [InlineData("0.5e1", false)]
    [InlineData("2", false)]
    [InlineData("-0.1", false)]
    [InlineData("\"0.5\"", false)]
    public void Read_Confidence_MustBeANumberFromZeroToOne(string value, bool valid)
    {
        var obs = Read(Scored("a", "x").Replace("\"confidence\":0.8", $"\"confidence\":{value}", StringComparison.Ordinal) + Scored("b", "x")).Complete();
        Assert.Equal(valid ? 0 : 1, obs.Diagnostics.MalformedLines);
        Assert.Equal(valid ? 2 : 1, obs.Arms.Single().Exposures);
        if (!valid)
        {
            Assert.Equal("log.jsonl:1: confidence must be a number in [0, 1]", obs.Diagnostics.MalformedExamples.Single());
        }
    }

    [Fact]
    public void Read_LinesOnlyTheFullParserTakes_JoinLikeTheirPlainForms()
    {
        // Escapes, non-ASCII, nesting and odd whitespace send a line to Utf8JsonReader; the events must not change.
        string plain = Scored("id/1", "x", unit: "u-1") + Outcome("id/1", "positive", 12.5) + Scored("id-2", "y") + Outcome("id-2", "objection", 30);
        string unusual =
            """{"type":"scored","id":"id\/1","ts":"2026-11-01T10:00:00Z","experiment":"e","arm":"\u0078","unit":"u-1","model":"m@1","intent":"positive","confidence":0.8,"note":"café"}""" + "\n"
            + """{"type":"outcome","id":"id/1","ts":"2026-11-01T11:00:00Z","extra":{"a":[1,{"b":null}]},"trueIntent":"positive","handlingSeconds":1.25e1}""" + "\n"
            + "{\"type\":\"scored\",\"id\":\"id-2\",\"ts\":\"2026-11-01T10:00:00Z\",\"experiment\":\"e\",\"arm\":\"y\",\"model\":\"m@1\",\"intent\":\"positive\",\"confidence\":0.8}\r\n"
            + "  {\n".TrimEnd('\n') + """ "type" : "outcome" , "id" : "id-2" , "ts" : "2026-11-01T11:00:00Z" , "trueIntent" : "objection" , "handlingSeconds" : 30 }   """ + "\n";

        var expected = Read(plain).Complete();
        var actual = Read(unusual).Complete();

        Assert.Equal(0, actual.Diagnostics.MalformedLines);
        Assert.Equal(expected.Arms.Select(a => (a.Name, a.Exposures, a.Units, a.Accuracy, a.Handling)), actual.Arms.Select(a => (a.Name, a.Exposures, a.Units, a.Accuracy, a.Handling)));
    }

    [Fact]
    public void Read_EscapedStrings_AreUnescaped()
    {
        var obs = Read("""{"type":"scored","id":"a\u0031","ts":"2026-11-01T10:00:00Z","experiment":"e","arm":"ch\u00e9","model":"m@1","intent":"pos"}""" + "\n" + Outcome("a1", "pos", 5)).Complete();
        Assert.Equal("ché", obs.Arms.Single().Name);
        Assert.Equal(new(1, 1), obs.Arms.Single().Accuracy);
    }

    [Fact]
    public void Complete_AsOf_IgnoresLaterEvents()
    {
        var obs = Read(Scored("a", "x", ts: "2026-11-01T10:00:00Z") + Scored("b", "x", ts: "2026-11-03T10:00:00Z"), asOf: new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero)).Complete();
        Assert.Equal(1, obs.Arms.Single().Exposures);
        Assert.Equal(1, obs.Diagnostics.AfterAsOf);
    }

    [Fact]
    public void Complete_UnitInSeveralArms_IsLeftOutAndCounted()
    {
        var obs = Read(Scored("a", "x", unit: "u1") + Scored("b", "y", unit: "u1") + Scored("c", "x", unit: "u2")).Complete();
        Assert.Equal(1, obs.Diagnostics.UnitsInSeveralArms);
        Assert.Equal(1, obs.Arms.Single(a => a.Name == "x").Units);
        Assert.True(obs.SeveralExposuresPerUnit);
    }

    [Fact]
    public void Complete_OrphanOutcome_IsCounted()
    {
        Assert.Equal(1, Read(Scored("a", "x") + Outcome("zz", "positive", 3)).Complete().Diagnostics.OrphanOutcomes);
    }

    [Fact]
    public void Complete_SeveralExperimentsWithoutChoice_ThrowsListingThem()
    {
        var ex = Assert.Throws<EventLogException>(() => Read(Scored("a", "x", experiment: "one") + Scored("b", "x", experiment: "two")).Complete());
        Assert.Contains("one, two", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Complete_ExperimentChosen_SkipsOthers()
    {
        var obs = Read(Scored("a", "x", experiment: "one") + Scored("b", "x", experiment: "two"), experiment: "two").Complete();
        Assert.Equal(1, obs.Arms.Single().Exposures);
        Assert.Equal(1, obs.Diagnostics.OtherExperiments);
    }

    [Theory]
    [InlineData("2026-11-01T10:00:00Z", 0)]
    [InlineData("2026-11-01T10:00:00.5Z", 5_000_000)]
    [InlineData("2026-11-01T11:00:00+01:00", 0)]
    [InlineData("2026-11-01T09:30:00-00:30", 0)]
    public void Rfc3339_Variants_ParseToTheSameInstant(string text, long extraTicks)
    {
        Assert.True(Rfc3339.TryParseUtcTicks(Encoding.UTF8.GetBytes(text), out long ticks));
        Assert.Equal(new DateTime(2026, 11, 1, 10, 0, 0, DateTimeKind.Utc).Ticks + extraTicks, ticks);
    }

    [Theory]
    [InlineData("2026-11-01 10:00")]
    [InlineData("2026-13-01T10:00:00Z")]
    [InlineData("2026-02-30T10:00:00Z")]
    [InlineData("2026-11-01T10:00:00")]
    public void Rfc3339_Invalid_IsRejected(string text)
    {
        Assert.False(Rfc3339.TryParseUtcTicks(Encoding.UTF8.GetBytes(text), out _));
    }

    [Theory]
    [InlineData(false, 3, 2)]
    [InlineData(true, 2, 1)]
    public void Complete_FallbackExposures_AreCounted_AndLeftOutWhenAsked(bool exclude, long challengerExposures, long challengerLabelled)
    {
        string fallback = Scored("c3", "challenger").Replace("\"confidence\":0.8}", "\"confidence\":0.8,\"fallback\":true}", StringComparison.Ordinal);
        string log = Scored("c1", "challenger") + Outcome("c1", "positive", 10) + Scored("c2", "challenger") + fallback + Outcome("c3", "positive", 20)
            + Scored("k1", "champion") + Outcome("k1", "positive", 30);
        var reader = new EventLogReader(null, null, strict: true, excludeFallbacks: exclude);
        reader.Read(new MemoryStream(Encoding.UTF8.GetBytes(log)), "log.jsonl");

        var obs = reader.Complete();

        var challenger = obs.Arms.Single(a => a.Name == "challenger");
        Assert.Equal(challengerExposures, challenger.Exposures);
        Assert.Equal(challengerLabelled, challenger.Accuracy.Count);
        Assert.Equal(1, obs.Diagnostics.FallbackExposures);
        Assert.Equal(exclude, obs.Diagnostics.FallbacksExcluded);
    }

    [Fact]
    public void Fallback_ThatIsNotABoolean_IsAMalformedLineNamingTheField()
    {
        string bad = Scored("a", "x").Replace("\"confidence\":0.8}", "\"confidence\":0.8,\"fallback\":\"yes\"}", StringComparison.Ordinal);

        var ex = Assert.Throws<EventLogException>(() => Read(bad, strict: true));

        Assert.Contains("fallback must be true or false", ex.Message, StringComparison.Ordinal);
    }
}
