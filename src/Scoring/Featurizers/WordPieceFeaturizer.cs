using System.Buffers;
using FastBertTokenizer;
using Verdict.Scoring.Packages;

namespace Verdict.Scoring.Featurizers;

/// <summary>
/// BERT WordPiece as BERT's reference tokenizer does it (FastBertTokenizer): clean the text, split on whitespace,
/// punctuation and CJK characters, lower-case and strip accents for uncased vocabularies, then greedy longest-match
/// word pieces; <c>[CLS] tokens [SEP]</c>, truncated to <c>maxLength</c>, padded with <c>[PAD]</c> to the longest
/// text of the batch; attention mask 1 on real tokens; token types all 0 (one segment). Symbols (<c>€</c>, <c>©</c>,
/// <c>±</c>) stay tokens, as in the reference; Microsoft.ML.Tokenizers, used before, dropped them.
/// Thread-safe: encoding writes only into the caller's spans.
/// </summary>
internal sealed class WordPieceFeaturizer : IFeaturizer
{
    public const string InputIdsRole = "inputIds";
    public const string AttentionMaskRole = "attentionMask";
    public const string TokenTypeIdsRole = "tokenTypeIds";

    private readonly BertTokenizer _tokenizer = new();
    private readonly int _maxLength;
    private readonly int _maxChars;
    private readonly long _padId;

    public WordPieceFeaturizer(Stream vocabulary, bool lowercase, int maxLength, int maxChars)
    {
        using (var reader = new StreamReader(vocabulary, leaveOpen: true))
        {
            _tokenizer.LoadVocabulary(reader, convertInputToLowercase: lowercase);
        }
        _maxLength = maxLength;
        _maxChars = maxChars;
        Span<long> ids = stackalloc long[3];
        Span<long> mask = stackalloc long[3];
        Span<long> types = stackalloc long[3];
        _tokenizer.Encode("", ids, mask, types, padTo: 3);
        _padId = ids[2];
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
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException or InvalidDataException)
        {
            throw new ScoringException(ScoringError.VocabularyMissing, $"{source}: the vocabulary '{spec.Vocab}' cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>Token ids of one text, with [CLS] and [SEP], at most <c>maxLength</c> of them.</summary>
    public IReadOnlyList<int> Encode(string text)
    {
        var ids = ArrayPool<long>.Shared.Rent(_maxLength * 3);
        try
        {
            var count = EncodeInto(text, ids.AsSpan(0, _maxLength), ids.AsSpan(_maxLength, _maxLength), ids.AsSpan(2 * _maxLength, _maxLength));
            var result = new int[count];
            for (var i = 0; i < count; i++)
            {
                result[i] = (int)ids[i];
            }
            return result;
        }
        finally
        {
            ArrayPool<long>.Shared.Return(ids);
        }
    }

    public FeatureBatch Featurize(IReadOnlyList<string> texts)
    {
        // Each text is encoded once into a scratch row of maxLength; the batch is then as wide as its longest text.
        var scratch = ArrayPool<long>.Shared.Rent(Math.Max(1, texts.Count) * _maxLength * 3);
        try
        {
            var counts = new int[texts.Count];
            var columns = 2;
            var block = texts.Count * _maxLength;
            for (var r = 0; r < texts.Count; r++)
            {
                counts[r] = EncodeInto(texts[r], scratch.AsSpan(r * _maxLength, _maxLength),
                    scratch.AsSpan(block + (r * _maxLength), _maxLength), scratch.AsSpan((2 * block) + (r * _maxLength), _maxLength));
                columns = Math.Max(columns, counts[r]);
            }
            var inputIds = new long[texts.Count * columns];
            var mask = new long[texts.Count * columns];
            var types = new long[texts.Count * columns];
            if (_padId != 0)
            {
                Array.Fill(inputIds, _padId);
            }
            for (var r = 0; r < texts.Count; r++)
            {
                scratch.AsSpan(r * _maxLength, counts[r]).CopyTo(inputIds.AsSpan(r * columns));
                mask.AsSpan(r * columns, counts[r]).Fill(1);
            }
            return new FeatureBatch(texts.Count, columns,
            [
                new FeatureTensor(InputIdsRole, inputIds, null, inputIds.Length),
                new FeatureTensor(AttentionMaskRole, mask, null, mask.Length),
                new FeatureTensor(TokenTypeIdsRole, types, null, types.Length),
            ]);
        }
        finally
        {
            ArrayPool<long>.Shared.Return(scratch);
        }
    }

    private int EncodeInto(string text, Span<long> ids, Span<long> mask, Span<long> types)
    {
        var clean = TextNormalizer.Sanitize(text, _maxChars);
        return _tokenizer.Encode(clean, ids, mask, types);
    }
}
