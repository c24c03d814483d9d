using System.Text;
using System.Text.Json;
using Verdict.Experimentation.Events;

namespace Verdict.Experimentation.Tests.Events;

public sealed class FlatJsonScannerTests
{
    private const string Scored =
        """{"type":"scored","id":"sc-000000001","ts":"2026-11-01T00:00:00.500Z","experiment":"bench","arm":"challenger","unit":"contact-1","model":"challenger@3","intent":"positive","confidence":0.83,"phase":"ab","latencyMs":1.25,"fallback":false}""";

    private const string Outcome =
        """{ "type" : "outcome", "id":"sc-000000001" ,"ts":"2026-11-01T01:00:00Z","trueIntent":null,"handlingSeconds":-1.5e+2, "ok":true }""";

    private sealed record Member(string Name, MemberKind Kind, string Value);

    /// <summary>The members the scanner reads, or null when it answers Unsupported.</summary>
    private static List<Member>? Scan(byte[] line)
    {
        var members = new List<Member>();
        var scanner = new FlatJsonScanner(line);
        while (true)
        {
            var step = scanner.Next(out var name, out var kind, out var value);
            if (step == ScanStep.End)
            {
                return members;
            }
            if (step == ScanStep.Unsupported)
            {
                return null;
            }
            members.Add(new(Encoding.ASCII.GetString(name), kind, Encoding.ASCII.GetString(value)));
        }
    }

    /// <summary>The members Utf8JsonReader reads from a flat object, or null when it rejects the line or finds nesting.</summary>
    private static List<Member>? ReadWithUtf8JsonReader(byte[] line)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            var members = new List<Member>();
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                reader.Read();
                MemberKind? kind = reader.TokenType switch
                {
                    JsonTokenType.String => MemberKind.String,
                    JsonTokenType.Number => MemberKind.Number,
                    JsonTokenType.True => MemberKind.True,
                    JsonTokenType.False => MemberKind.False,
                    JsonTokenType.Null => MemberKind.Null,
                    _ => null,
                };
                if (kind is null)
                {
                    return null;
                }
                string value = kind is MemberKind.String or MemberKind.Number ? Encoding.UTF8.GetString(reader.ValueSpan) : "";
                members.Add(new(name, kind.Value, value));
            }
            // The object is closed and nothing but whitespace follows it.
            return reader.TokenType == JsonTokenType.EndObject && !reader.Read() ? members : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [Fact]
    public void Next_FlatAsciiLine_ReadsEveryMemberWithItsKindAndTextAsWritten()
    {
        var members = Scan(Encoding.ASCII.GetBytes(Outcome));

        Assert.Equal(
            [
                new("type", MemberKind.String, "outcome"),
                new("id", MemberKind.String, "sc-000000001"),
                new("ts", MemberKind.String, "2026-11-01T01:00:00Z"),
                new("trueIntent", MemberKind.Null, ""),
                new("handlingSeconds", MemberKind.Number, "-1.5e+2"),
                new("ok", MemberKind.True, ""),
            ],
            members);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData(" { } \t")]
    [InlineData("""{"a":0}""")]
    [InlineData("""{"a":-0.0e-0,"b":"","c":false}""")]
    public void Next_SmallValidObjects_AreReadToTheirEnd(string line)
    {
        Assert.Equal(ReadWithUtf8JsonReader(Encoding.ASCII.GetBytes(line)), Scan(Encoding.ASCII.GetBytes(line)));
    }

    [Theory]
    [InlineData("""{"a":"x\"y"}""")] // an escape: left to the full reader
    [InlineData("""{"a\u0062":1}""")]
    [InlineData("""{"a":{"b":1}}""")] // nesting
    [InlineData("""{"a":[1]}""")]
    [InlineData("""{"a":"é"}""")] // not ASCII
    [InlineData("""{"a":1} x""")] // content after the object
    [InlineData("""{"a":1}{}""")]
    [InlineData("""["a"]""")]
    [InlineData("""{"a":1""")]
    [InlineData("""{"a":}""")]
    [InlineData("""{"a":1,}""")]
    [InlineData("""{,"a":1}""")]
    [InlineData("""{"a" 1}""")]
    [InlineData("""{"a":1 "b":2}""")]
    [InlineData("""{"a":01}""")]
    [InlineData("""{"a":1.}""")]
    [InlineData("""{"a":.5}""")]
    [InlineData("""{"a":-}""")]
    [InlineData("""{"a":1e}""")]
    [InlineData("""{"a":+1}""")]
    [InlineData("""{"a":tru}""")]
    [InlineData("""{"a":truex}""")]
    [InlineData("""{"a":NaN}""")]
    [InlineData("{\"a\":\"tab\there\"}")] // a raw control character inside a string
    [InlineData("{\"a\":1\u000b}")] // a vertical tab is not JSON whitespace
    [InlineData("""{a:1}""")]
    [InlineData("")]
    public void Next_LinesItDoesNotTake_AreUnsupported(string line)
    {
        Assert.Null(Scan(Encoding.UTF8.GetBytes(line)));
    }

    [Fact]
    public void Next_RandomlyDamagedLines_AreNeverAcceptedUnlessUtf8JsonReaderReadsTheSameMembers()
    {
        // Differential check: one byte inserted, deleted or replaced at random in real event lines. Whatever
        // the scanner reads to its end, Utf8JsonReader must accept as the same flat object, member by member.
        byte[] alphabet = [.. "{}[]:,\" \t\\/0123456789.eE+-truefalsn_xa"u8, 0x00, 0x01, 0x1F, 0x7F, 0xC3, 0xA9];
        var random = new Random(20261122);
        int accepted = 0, trials = 0;
        foreach (string seed in new[] { Scored, Outcome, """{"type":"reply","id":"r","ts":"2026-11-01T00:00:00Z","intent":"positive"}""" })
        {
            byte[] original = Encoding.ASCII.GetBytes(seed);
            Assert.Equal(ReadWithUtf8JsonReader(original), Scan(original));
            for (int t = 0; t < 20_000; t++)
            {
                var line = new List<byte>(original);
                int at = random.Next(line.Count);
                switch (random.Next(3))
                {
                    case 0: line.Insert(at, alphabet[random.Next(alphabet.Length)]); break;
                    case 1: line.RemoveAt(at); break;
                    default: line[at] = alphabet[random.Next(alphabet.Length)]; break;
                }
                byte[] damaged = [.. line];
                trials++;
                if (Scan(damaged) is { } members)
                {
                    accepted++;
                    Assert.Equal(ReadWithUtf8JsonReader(damaged), members);
                }
            }
        }
        // Enough of the damaged lines stay valid (a changed letter inside a string, a digit…) for the check to bite.
        Assert.InRange(accepted, trials / 10, trials - 1);
    }
}
