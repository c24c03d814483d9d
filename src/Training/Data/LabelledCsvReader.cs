using System.Text;

namespace Verdict.Training.Data;

/// <summary>
/// Reads labelled examples from an RFC 4180 CSV file with a header row (quoted fields may hold commas,
/// quotes and line breaks). Every problem names the file and line.
/// </summary>
internal static class LabelledCsvReader
{
    /// <summary>The texts of one column, for unlabelled data (a label column is not needed).</summary>
    public static List<string> ReadTexts(string path, string textColumn) =>
        [.. Read(path, textColumn, null, null).Select(e => e.Text)];

    public static List<LabelledExample> Read(string path, string textColumn, string? labelColumn, string? splitColumn)
    {
        if (!File.Exists(path))
        {
            throw new TrainingDataException(path, 0, "the file does not exist");
        }
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var header = ReadRecord(reader, path, 1, out _)
            ?? throw new TrainingDataException(path, 1, "the file is empty; expected a header row");
        var textIndex = ColumnIndex(header, textColumn, "--text-column", path);
        var labelIndex = labelColumn is null ? -1 : ColumnIndex(header, labelColumn, "--label-column", path);
        var splitIndex = splitColumn is null ? -1 : ColumnIndex(header, splitColumn, "--split-column", path);

        var examples = new List<LabelledExample>();
        var line = 2;
        while (ReadRecord(reader, path, line, out var linesRead) is { } fields)
        {
            if (fields.Count == 1 && fields[0].Length == 0)
            {
                line += linesRead;
                continue;
            }
            if (fields.Count != header.Count)
            {
                throw new TrainingDataException(path, line, $"expected {header.Count} fields as in the header, found {fields.Count}");
            }
            var label = labelIndex < 0 ? "" : fields[labelIndex].Trim();
            if (label.Length == 0 && labelIndex >= 0)
            {
                throw new TrainingDataException(path, line, $"the label ('{labelColumn}') is empty");
            }
            var split = splitIndex < 0 ? null : fields[splitIndex].Trim().ToLowerInvariant();
            examples.Add(new LabelledExample(fields[textIndex], label, split, line));
            line += linesRead;
        }
        if (examples.Count == 0)
        {
            throw new TrainingDataException(path, 0, "the file has a header but no examples");
        }
        return examples;
    }

    private static int ColumnIndex(List<string> header, string column, string option, string path)
    {
        var index = header.FindIndex(h => string.Equals(h.Trim(), column, StringComparison.Ordinal));
        if (index < 0)
        {
            throw new TrainingDataException(path, 1, $"no column '{column}' ({option}); the header has: {string.Join(", ", header)}");
        }
        return index;
    }

    /// <summary>Reads one record; null at the end of the file.</summary>
    private static List<string>? ReadRecord(StreamReader reader, string path, int line, out int linesRead)
    {
        linesRead = 0;
        if (reader.Peek() < 0)
        {
            return null;
        }
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        var fieldStarted = false;
        linesRead = 1;
        while (true)
        {
            var next = reader.Read();
            if (next < 0)
            {
                if (quoted)
                {
                    throw new TrainingDataException(path, line, "a quoted field is not closed before the end of the file");
                }
                fields.Add(field.ToString());
                return fields;
            }
            var c = (char)next;
            if (quoted)
            {
                if (c == '"')
                {
                    if (reader.Peek() == '"')
                    {
                        reader.Read();
                        field.Append('"');
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    if (c == '\n')
                    {
                        linesRead++;
                    }
                    field.Append(c);
                }
                continue;
            }
            switch (c)
            {
                case '"' when !fieldStarted:
                    quoted = true;
                    fieldStarted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldStarted = false;
                    break;
                case '\r' when reader.Peek() == '\n':
                    break;
                case '\n':
                    fields.Add(field.ToString());
                    return fields;
                default:
                    field.Append(c);
                    fieldStarted = true;
                    break;
            }
        }
    }
}
