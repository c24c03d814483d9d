namespace Verdict.Experimentation.Events;

/// <summary>
/// Splits a stream into lines without allocating per line: a reusable buffer, a vectorised search for
/// '\n', a trailing '\r' removed, and lines longer than the buffer handled by growing it.
/// </summary>
internal static class JsonLines
{
    public delegate void LineHandler(ReadOnlySpan<byte> line, long lineNumber);

    public static void Read(Stream stream, LineHandler onLine, int bufferSize = 1 << 20)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(onLine);
        byte[] buffer = new byte[bufferSize];
        int filled = 0;
        long lineNumber = 0;
        while (true)
        {
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }
            int read = stream.Read(buffer, filled, buffer.Length - filled);
            bool end = read == 0;
            filled += read;
            int start = 0;
            while (true)
            {
                int nl = buffer.AsSpan(start, filled - start).IndexOf((byte)'\n');
                if (nl < 0)
                {
                    break;
                }
                Emit(buffer.AsSpan(start, nl), ++lineNumber, onLine);
                start += nl + 1;
            }
            if (end)
            {
                if (start < filled)
                {
                    Emit(buffer.AsSpan(start, filled - start), ++lineNumber, onLine);
                }
                return;
            }
            Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
            filled -= start;
        }
    }

    private static void Emit(ReadOnlySpan<byte> line, long number, LineHandler onLine)
    {
        if (line.Length > 0 && line[^1] == '\r')
        {
            line = line[..^1];
        }
        onLine(line, number);
    }
}
