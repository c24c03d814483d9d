using Verdict.Training.Data;
using Verdict.TestUtilities;

namespace Verdict.Training.Tests.Data;

public sealed class LabelledCsvReaderTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private string Write(string content)
    {
        var path = _temp.Combine("data.csv");
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void Read_QuotedFields_KeepsCommasQuotesAndLineBreaks()
    {
        var path = Write("text,label,split\n\"Hi, \"\"Sam\"\"\nsee you\",positive,train\nplain,objection,test\n");
        var rows = LabelledCsvReader.Read(path, "text", "label", "split");
        Assert.Equal("Hi, \"Sam\"\nsee you", rows[0].Text);
        Assert.Equal(("objection", "test", 4), (rows[1].Label, rows[1].Split, rows[1].Line));
    }

    [Fact]
    public void Read_MissingColumn_NamesFileLineAndColumn()
    {
        var path = Write("body,label\nhello,positive\n");
        var error = Assert.Throws<TrainingDataException>(() => LabelledCsvReader.Read(path, "text", "label", null));
        Assert.Equal(1, error.Line);
        Assert.StartsWith($"{path}:1:", error.Message);
        Assert.Contains("'text'", error.Message);
    }

    [Fact]
    public void Read_EmptyLabel_NamesFileAndLine()
    {
        var path = Write("text,label\nhello,positive\nworld,  \n");
        var error = Assert.Throws<TrainingDataException>(() => LabelledCsvReader.Read(path, "text", "label", null));
        Assert.Equal(3, error.Line);
        Assert.Contains("label", error.Problem);
    }

    [Fact]
    public void Read_WrongFieldCount_NamesLine()
    {
        var path = Write("text,label\nhello,positive\nworld,objection,extra\n");
        Assert.Equal(3, Assert.Throws<TrainingDataException>(() => LabelledCsvReader.Read(path, "text", "label", null)).Line);
    }

    [Fact]
    public void Read_UnclosedQuote_Throws()
    {
        var path = Write("text,label\n\"hello,positive\n");
        Assert.Contains("not closed", Assert.Throws<TrainingDataException>(() => LabelledCsvReader.Read(path, "text", "label", null)).Message);
    }

    [Fact]
    public void Read_MissingFile_Throws() =>
        Assert.Contains("does not exist", Assert.Throws<TrainingDataException>(() => LabelledCsvReader.Read(_temp.Combine("none.csv"), "text", "label", null)).Message);

    [Fact]
    public void Read_CrLfLineEndsAndBlankLines_AreAccepted()
    {
        var rows = LabelledCsvReader.Read(Write("text,label\r\nhello,positive\r\n\r\nbye,objection\r\n"), "text", "label", null);
        Assert.Equal(["hello", "bye"], rows.Select(r => r.Text));
    }

    public void Dispose() => _temp.Dispose();
}
