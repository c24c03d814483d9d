namespace Verdict.TestUtilities;

/// <summary>Email texts for the benchmarks, from a CSV whose first column is the text (the demo corpus, parakweet).</summary>
public static class EmailTexts
{
    /// <summary>The text column of <paramref name="csv"/>: text,label,split, the text quoted when it holds a comma or quote.</summary>
    public static List<string> Read(string csv)
    {
        var texts = new List<string>();
        foreach (string line in File.ReadLines(csv).Skip(1))
        {
            string text = line.StartsWith('"') ? line[1..line.LastIndexOf('"')].Replace("\"\"", "\"", StringComparison.Ordinal) : line[..line.IndexOf(',', StringComparison.Ordinal)];
            if (text.Length > 0)
            {
                texts.Add(text);
            }
        }
        return texts;
    }
}
