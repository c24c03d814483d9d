using System.Buffers;
using System.Text;

namespace Verdict.Experimentation.Events;

/// <summary>The kind of a member's value, as both line parsers report it.</summary>
internal enum MemberKind : byte
{
    String,
    Number,
    True,
    False,
    Null,
    /// <summary>An object or an array.</summary>
    Composite,
}

/// <summary>What <see cref="FlatJsonScanner.Next"/> found.</summary>
internal enum ScanStep : byte
{
    Member,
    End,
    /// <summary>The line is not of the scanner's shape (or not JSON): parse it with <c>Utf8JsonReader</c>.</summary>
    Unsupported,
}

/// <summary>
/// A fast, strict scanner for the common shape of an event line: one flat JSON object of ASCII members whose
/// values are strings without escapes, numbers, <c>true</c>, <c>false</c> or <c>null</c>.
/// </summary>
/// <remarks>
/// It validates what it accepts exactly as the JSON grammar does (RFC 8259: whitespace, string characters,
/// the number syntax, the literals, commas and the closing brace with nothing after it), but it accepts less:
/// any line outside that shape — non-ASCII bytes, an escape, a nested value, or a syntax error — answers
/// <see cref="ScanStep.Unsupported"/>, and the caller parses the whole line again with <c>Utf8JsonReader</c>, which
/// handles the rare shapes and words the errors. So both parsers agree on every line, and the common line
/// is read in about half the time.
/// </remarks>
internal ref struct FlatJsonScanner
{
    // What ends a string's run of plain characters: its closing quote, an escape, or a control character.
    private static readonly SearchValues<byte> StringStops = SearchValues.Create(
        [(byte)'"', (byte)'\\', 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]);

    private readonly ReadOnlySpan<byte> _line;
    private int _position;
    private bool _first;

    /// <summary>Starts on a line; <see cref="ScanStep.Unsupported"/> from <see cref="Next"/> when it is not ASCII or not an object.</summary>
    public FlatJsonScanner(ReadOnlySpan<byte> line)
    {
        _line = line;
        _first = true;
        _position = Ascii.IsValid(line) ? SkipWhitespace(line, 0) : line.Length;
        if (_position < line.Length && line[_position] == '{')
        {
            _position++;
        }
        else
        {
            _position = -1;
        }
    }

    /// <summary>
    /// Reads the next member: <see cref="ScanStep.Member"/> with its name and value (a string's value without its
    /// quotes, a number's as written), <see cref="ScanStep.End"/> after the closing brace, or <see cref="ScanStep.Unsupported"/>.
    /// </summary>
    public ScanStep Next(out ReadOnlySpan<byte> name, out MemberKind kind, out ReadOnlySpan<byte> value)
    {
        name = value = default;
        kind = default;
        var line = _line;
        int i = _position;
        if (i < 0)
        {
            return ScanStep.Unsupported;
        }
        i = SkipWhitespace(line, i);
        if (i >= line.Length)
        {
            return Fail();
        }
        if (line[i] == '}')
        {
            // "{}" or the end after the last member (a comma before the brace fails to read a name).
            _position = -1;
            return SkipWhitespace(line, i + 1) == line.Length ? ScanStep.End : ScanStep.Unsupported;
        }
        if (!_first)
        {
            if (line[i] != ',')
            {
                return Fail();
            }
            i = SkipWhitespace(line, i + 1);
        }
        _first = false;
        if (!ReadString(line, ref i, out name))
        {
            return Fail();
        }
        i = SkipWhitespace(line, i);
        if (i >= line.Length || line[i] != ':')
        {
            return Fail();
        }
        i = SkipWhitespace(line, i + 1);
        if (i >= line.Length)
        {
            return Fail();
        }
        bool read;
        if (line[i] == '"')
        {
            read = ReadString(line, ref i, out value);
            kind = MemberKind.String;
        }
        else if (line[i] is (byte)'t' or (byte)'f' or (byte)'n')
        {
            read = ReadLiteral(line, ref i, out kind);
        }
        else
        {
            int start = i;
            read = ReadNumber(line, ref i);
            value = line[start..i];
            kind = MemberKind.Number;
        }
        if (!read)
        {
            return Fail();
        }
        // A value must be followed by whitespace, a comma or the closing brace: "1x" or "truex" is not JSON.
        if (i < line.Length && line[i] is not ((byte)',' or (byte)'}' or (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
        {
            return Fail();
        }
        _position = i;
        return ScanStep.Member;
    }

    private ScanStep Fail()
    {
        _position = -1;
        return ScanStep.Unsupported;
    }

    private static int SkipWhitespace(ReadOnlySpan<byte> line, int i)
    {
        while (i < line.Length && line[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            i++;
        }
        return i;
    }

    /// <summary>A string at <paramref name="i"/> without escapes or control characters; <paramref name="i"/> moves past its closing quote.</summary>
    private static bool ReadString(ReadOnlySpan<byte> line, scoped ref int i, out ReadOnlySpan<byte> content)
    {
        content = default;
        if (i >= line.Length || line[i] != '"')
        {
            return false;
        }
        var rest = line[(i + 1)..];
        int stop = rest.IndexOfAny(StringStops);
        if (stop < 0 || rest[stop] != '"')
        {
            return false;
        }
        content = rest[..stop];
        i += stop + 2;
        return true;
    }

    /// <summary><c>true</c>, <c>false</c> or <c>null</c> at <paramref name="i"/>, told apart by its first letter.</summary>
    private static bool ReadLiteral(ReadOnlySpan<byte> line, ref int i, out MemberKind kind)
    {
        byte first = line[i];
        kind = first == 't' ? MemberKind.True : first == 'f' ? MemberKind.False : MemberKind.Null;
        ReadOnlySpan<byte> literal = first == 't' ? "true"u8 : first == 'f' ? "false"u8 : "null"u8;
        if (!line[i..].StartsWith(literal))
        {
            return false;
        }
        i += literal.Length;
        return true;
    }

    /// <summary>The JSON number grammar: <c>-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?</c>.</summary>
    private static bool ReadNumber(ReadOnlySpan<byte> line, ref int i)
    {
        if (i < line.Length && line[i] == '-')
        {
            i++;
        }
        if (i >= line.Length || !char.IsAsciiDigit((char)line[i]))
        {
            return false;
        }
        if (line[i] == '0')
        {
            i++;
        }
        else
        {
            i = Digits(line, i);
        }
        if (i < line.Length && line[i] == '.')
        {
            int start = ++i;
            i = Digits(line, i);
            if (i == start)
            {
                return false;
            }
        }
        if (i < line.Length && (line[i] | 0x20) == 'e')
        {
            i++;
            if (i < line.Length && line[i] is (byte)'+' or (byte)'-')
            {
                i++;
            }
            int start = i;
            i = Digits(line, i);
            if (i == start)
            {
                return false;
            }
        }
        return true;
    }

    private static int Digits(ReadOnlySpan<byte> line, int i)
    {
        while (i < line.Length && char.IsAsciiDigit((char)line[i]))
        {
            i++;
        }
        return i;
    }
}
