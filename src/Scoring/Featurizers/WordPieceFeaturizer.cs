using Microsoft.ML.Tokenizers;
using Verdict.Scoring.Packages;

namespace Verdict.Scoring.Featurizers;

/// <summary>
/// BERT WordPiece through Microsoft.ML.Tokenizers: <c>[CLS] tokens [SEP]</c>, truncated to
/// <c>maxLength</c>, padded with <c>[PAD]</c> to the longest text of the batch; attention mask 1 on
/// real tokens; token types all 0 (one segment).
/// </summary>
internal sealed class WordPieceFeaturizer : IFeaturizer
{
    public const string InputIdsRole = "inputIds";
    public const string AttentionMaskRole = "attentionMask";
    public const string TokenTypeIdsRole = "tokenTypeIds";

    private readonly BertTokenizer _tokenizer;
    private readonly int _maxLength;
    private readonly int _maxChars;

    public WordPieceFeaturizer(Stream vocabulary, bool lowercase, int maxLength, int maxChars)
    {
        _tokenizer = BertTokenizer.Create(vocabulary, new BertOptions
        {
            LowerCaseBeforeTokenization = lowercase,
            ApplyBasicTokenization = true,
            IndividuallyTokenizeCjk = true,
            RemoveNonSpacingMarks = lowercase,
        });
        _maxLength = maxLength;
        _maxChars = maxChars;
    }

    public IReadOnlyList<string> Roles { get; } = [InputIdsRole, AttentionMaskRole, TokenTypeIdsRole];

    public int MaxLength => _maxLength;

    public static WordPieceFeaturizer FromSpec(FeaturizerSpec spec, byte[] vocabulary, string source)
    {
        var maxLength = spec.MaxLength ?? 128;
        if (maxLength is < 3 or > 8192)
        {
            throw new ScoringException(ScoringError.ManifestInvalid, $"{source}: 'featurizer.maxLength' must be between 3 and 8192.");
        }
        try
        {
            using var stream = new MemoryStream(vocabulary, writable: false);
            return new WordPieceFeaturizer(stream, spec.Lowercase ?? true, maxLength, spec.MaxChars ?? maxLength * 32);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new ScoringException(ScoringError.VocabularyMissing, $"{source}: the vocabulary '{spec.Vocab}' cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>Token ids of one text, with [CLS] and [SEP], at most <c>maxLength</c> of them.</summary>
    public IReadOnlyList<int> Encode(string text)
    {
        var clean = TextNormalizer.Sanitize(text, _maxChars);
        var ids = _tokenizer.EncodeToIds(clean, addSpecialTokens: false);
        var count = Math.Min(ids.Count, _maxLength - 2);
        var result = new int[count + 2];
        result[0] = _tokenizer.ClassificationTokenId;
        for (var i = 0; i < count; i++)
        {
            result[i + 1] = ids[i];
        }
        result[count + 1] = _tokenizer.SeparatorTokenId;
        return result;
    }

    public FeatureBatch Featurize(IReadOnlyList<string> texts)
    {
        var encoded = new IReadOnlyList<int>[texts.Count];
        var columns = 2;
        for (var i = 0; i < encoded.Length; i++)
        {
            encoded[i] = Encode(texts[i]);
            columns = Math.Max(columns, encoded[i].Count);
        }
        var inputIds = new long[encoded.Length * columns];
        var mask = new long[encoded.Length * columns];
        var types = new long[encoded.Length * columns];
        if (_tokenizer.PaddingTokenId != 0)
        {
            Array.Fill(inputIds, _tokenizer.PaddingTokenId);
        }
        for (var r = 0; r < encoded.Length; r++)
        {
            var row = encoded[r];
            for (var j = 0; j < row.Count; j++)
            {
                inputIds[(r * columns) + j] = row[j];
                mask[(r * columns) + j] = 1;
            }
        }
        return new FeatureBatch(encoded.Length, columns,
        [
            new FeatureTensor(InputIdsRole, inputIds, null, inputIds.Length),
            new FeatureTensor(AttentionMaskRole, mask, null, mask.Length),
            new FeatureTensor(TokenTypeIdsRole, types, null, types.Length),
        ]);
    }
}
