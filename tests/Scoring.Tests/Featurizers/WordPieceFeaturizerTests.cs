using System.Text;
using Verdict.Scoring.Featurizers;

namespace Verdict.Scoring.Tests.Featurizers;

public sealed class WordPieceFeaturizerTests
{
    private const string Vocabulary = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\nplay\n##ing\n,\n!\n";

    private static WordPieceFeaturizer Create(int maxLength = 8) =>
        new(new MemoryStream(Encoding.UTF8.GetBytes(Vocabulary)), lowercase: true, maxLength, maxChars: 1000);

    [Fact]
    public void Encode_Text_WrapsWordPiecesInClsAndSep()
    {
        // [CLS]=2 hello=5 world=6 play=7 ##ing=8 !=10 [SEP]=3
        Assert.Equal([2, 5, 6, 7, 8, 10, 3], Create().Encode("Hello WORLD playing!"));
    }

    [Fact]
    public void Encode_UnknownWord_UsesUnk() => Assert.Equal([2, 1, 3], Create().Encode("zebra"));

    [Fact]
    public void Encode_LongText_TruncatesToMaxLengthKeepingSep()
    {
        var ids = Create(maxLength: 5).Encode("hello hello hello hello hello hello");
        Assert.Equal([2, 5, 5, 5, 3], ids);
    }

    [Fact]
    public void Encode_EmptyText_IsClsSep() => Assert.Equal([2, 3], Create().Encode(""));

    [Fact]
    public void Encode_LoneSurrogateAndControlCharacters_DoNotThrow() =>
        Assert.Equal(2, Create().Encode("\uD800hello\u0000")[0]);

    [Fact]
    public void Featurize_Batch_PadsAndMasks()
    {
        var batch = Create().Featurize(["hello", "hello world !"]);
        Assert.Equal(5, batch.Columns);
        var ids = batch.Tensors.Single(t => t.Role == "inputIds").Int64Data!;
        var mask = batch.Tensors.Single(t => t.Role == "attentionMask").Int64Data!;
        var types = batch.Tensors.Single(t => t.Role == "tokenTypeIds").Int64Data!;
        Assert.Equal([2L, 5, 3, 0, 0, 2, 5, 6, 10, 3], ids);
        Assert.Equal([1L, 1, 1, 0, 0, 1, 1, 1, 1, 1], mask);
        Assert.All(types, t => Assert.Equal(0L, t));
    }
}
