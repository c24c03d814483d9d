using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Verdict.Scoring.Featurizers;

/// <summary>
/// Word 1..n-grams and character n-grams (of each word with <c>&lt;</c> and <c>&gt;</c> boundary marks),
/// hashed into a fixed number of buckets. Each bucket's weight is <c>1 + ln(count)</c>; the vector is
/// scaled to unit L2 norm so long and short emails weigh alike.
/// </summary>
/// <remarks>
/// Words are maximal runs of letters, digits and combining marks, after NFKC and lower-casing, so
/// Arabic, Cyrillic, Devanagari and Latin text tokenize by their own spaces. Scripts written without
/// spaces (Han, Hiragana, Katakana, Thai) make every character a word, so word bigrams become
/// character bigrams there.
/// </remarks>
internal sealed class HashedNGramFeaturizer : IFeaturizer
{
    public const string IdsRole = "ids";
    public const string WeightsRole = "weights";

    private const uint WordBasis = 2166136261;
    private const uint CharBasis = 0x811C9DC5 ^ 0x5bd1e995;
    private const int MaxWordCharsForNgrams = 64;

    private readonly uint _buckets;
    private readonly uint _bucketMask;
    private readonly ulong _bucketMultiplier;
    private readonly int _radixPasses;
    private readonly int _radixBits;

    public HashedNGramFeaturizer(HashedNGramSettings settings)
    {
        settings.Validate("hashed-ngrams");
        Settings = settings;
        _buckets = (uint)settings.Buckets;
        // hash % buckets without a division: a mask for powers of two, else Lemire's exact 32-bit fastmod.
        _bucketMask = BitOperations.IsPow2(_buckets) ? _buckets - 1 : 0;
        _bucketMultiplier = ulong.MaxValue / _buckets + 1;
        int bits = 32 - BitOperations.LeadingZeroCount(_buckets - 1);
        _radixPasses = Math.Max(1, (bits + MaxRadixBits - 1) / MaxRadixBits);
        _radixBits = (bits + _radixPasses - 1) / _radixPasses;
    }

    private const int MaxRadixBits = 11;

    /// <summary>
    /// From this many ids on, radix passes beat a comparison sort. Bucket ids are random, so a comparison sort
    /// mispredicts about half its branches: at 64 ids it took 1.3 µs against radix's 0.55–0.7 µs, at 128 ids 3.1
    /// against 0.8–1.0 (at 32 the two were even).
    /// </summary>
    private const int RadixThreshold = 32;

    public HashedNGramSettings Settings { get; }

    public IReadOnlyList<string> Roles { get; } = [IdsRole, WeightsRole];

    public SparseFeatures Extract(string text)
    {
        var hashes = Collect(text, out int distinct);
        try
        {
            var ids = new int[distinct];
            var values = new float[distinct];
            Weigh(hashes.Span, ids, values);
            return new SparseFeatures(ids, values);
        }
        finally
        {
            hashes.Dispose();
        }
    }

    public FeatureBatch Featurize(IReadOnlyList<string> texts)
    {
        // Each text's sorted buckets are kept (pooled) until the padded arrays exist; then each row is weighed
        // straight into its slice, with no per-row arrays to copy.
        var rows = new PooledList[texts.Count];
        try
        {
            var columns = 1;
            for (var i = 0; i < rows.Length; i++)
            {
                rows[i] = Collect(texts[i], out int distinct);
                columns = Math.Max(columns, distinct);
            }
            var length = rows.Length * columns;
            var ids = FeatureBatch.Rent<long>(length);
            var weights = FeatureBatch.Rent<float>(length);
            for (var r = 0; r < rows.Length; r++)
            {
                Weigh(rows[r].Span, ids.AsSpan(r * columns, columns), weights.AsSpan(r * columns, columns));
            }
            return new FeatureBatch(rows.Length, columns, [new FeatureTensor(IdsRole, ids, null, length), new FeatureTensor(WeightsRole, null, weights, length)], pooled: true);
        }
        finally
        {
            foreach (var row in rows)
            {
                row.Dispose();
            }
        }
    }

    /// <summary>The text's bucket ids, sorted (a pooled list the caller disposes), and how many are distinct.</summary>
    private PooledList Collect(string text, out int distinct)
    {
        var normalized = TextNormalizer.Normalize(text, Settings.MaxChars);
        var hashes = new PooledList(Math.Max(16, normalized.Length * 4));
        var wordHashes = new PooledList(Math.Max(8, normalized.Length / 2));
        try
        {
            CollectWords(normalized, ref hashes, ref wordHashes);
            AddWordNgrams(ref hashes, wordHashes.Span);
            distinct = SortAndCount(hashes.Span);
            return hashes;
        }
        catch
        {
            hashes.Dispose();
            throw;
        }
        finally
        {
            wordHashes.Dispose();
        }
    }

    private void CollectWords(string text, ref PooledList hashes, ref PooledList wordHashes)
    {
        var start = -1;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c < 0x80)
            {
                // ASCII: letters and digits are word characters (as their Unicode categories say), nothing else is.
                if (char.IsAsciiLetterOrDigit(c))
                {
                    if (start < 0)
                    {
                        start = i;
                    }
                }
                else if (start >= 0)
                {
                    EmitWord(text.AsSpan(start, i - start), ref hashes, ref wordHashes);
                    start = -1;
                }
                i++;
                continue;
            }
            var status = Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var consumed);
            if (status != OperationStatus.Done)
            {
                rune = Rune.ReplacementChar;
                consumed = 1;
            }
            if (IsUnsegmented(rune))
            {
                if (start >= 0)
                {
                    EmitWord(text.AsSpan(start, i - start), ref hashes, ref wordHashes);
                    start = -1;
                }
                EmitWord(text.AsSpan(i, consumed), ref hashes, ref wordHashes);
            }
            else if (IsWordRune(rune))
            {
                if (start < 0)
                {
                    start = i;
                }
            }
            else if (start >= 0)
            {
                EmitWord(text.AsSpan(start, i - start), ref hashes, ref wordHashes);
                start = -1;
            }
            i += consumed;
        }
        if (start >= 0)
        {
            EmitWord(text.AsSpan(start), ref hashes, ref wordHashes);
        }
    }

    private void EmitWord(ReadOnlySpan<char> word, ref PooledList hashes, ref PooledList wordHashes)
    {
        var wordHash = StableHash.Hash(word, WordBasis);
        wordHashes.Add((int)wordHash);
        hashes.Add(Bucket(wordHash));
        if (Settings.CharNgramMin == 0)
        {
            return;
        }
        var length = Math.Min(word.Length, MaxWordCharsForNgrams) + 2;
        Span<char> bounded = stackalloc char[MaxWordCharsForNgrams + 2];
        bounded[0] = '<';
        word[..(length - 2)].CopyTo(bounded[1..]);
        bounded[length - 1] = '>';
        for (var n = Settings.CharNgramMin; n <= Settings.CharNgramMax && n <= length; n++)
        {
            if (n == length && n == 3)
            {
                // "<x>" says nothing the word unigram does not.
                continue;
            }
            for (var s = 0; s + n <= length; s++)
            {
                hashes.Add(Bucket(StableHash.Hash(bounded.Slice(s, n), CharBasis + (uint)n)));
            }
        }
    }

    private void AddWordNgrams(ref PooledList hashes, ReadOnlySpan<int> words)
    {
        for (var n = 2; n <= Settings.WordNgrams; n++)
        {
            for (var s = 0; s + n <= words.Length; s++)
            {
                var h = (uint)words[s];
                for (var k = 1; k < n; k++)
                {
                    h = StableHash.Combine(h, (uint)words[s + k]);
                }
                hashes.Add(Bucket(StableHash.Combine(h, (uint)n)));
            }
        }
    }

    private int Bucket(uint hash) => (int)(_bucketMask != 0
        ? hash & _bucketMask
        : (uint)(((((_bucketMultiplier * hash) >> 32) + 1) * _buckets) >> 32));

    /// <summary>Sorts the bucket ids and counts the distinct ones.</summary>
    private int SortAndCount(Span<int> buckets)
    {
        if (buckets.IsEmpty)
        {
            return 0;
        }
        if (buckets.Length < RadixThreshold)
        {
            buckets.Sort();
        }
        else
        {
            RadixSort(buckets);
        }
        var distinct = 1;
        for (var i = 1; i < buckets.Length; i++)
        {
            if (buckets[i] != buckets[i - 1])
            {
                distinct++;
            }
        }
        return distinct;
    }

    /// <summary>Writes each distinct id of the sorted <paramref name="buckets"/> with its weight, 1 + ln(count), scaled to unit L2 norm.</summary>
    private static void Weigh<TId>(ReadOnlySpan<int> buckets, Span<TId> ids, Span<float> values)
        where TId : IBinaryInteger<TId>
    {
        var k = 0;
        var run = 1;
        double sumSquares = 0;
        for (var i = 1; i <= buckets.Length; i++)
        {
            if (i < buckets.Length && buckets[i] == buckets[i - 1])
            {
                run++;
                continue;
            }
            // Most n-grams occur once, and ln(1) = 0 needs no call.
            var weight = run == 1 ? 1.0 : 1.0 + Math.Log(run);
            ids[k] = TId.CreateTruncating(buckets[i - 1]);
            values[k] = (float)weight;
            sumSquares += weight * weight;
            k++;
            run = 1;
        }
        var scale = (float)(1.0 / Math.Sqrt(sumSquares));
        for (var i = 0; i < k; i++)
        {
            values[i] *= scale;
        }
    }

    /// <summary>LSD radix sort of bucket ids (all in [0, buckets)): linear in the count, with no branch to mispredict.</summary>
    private void RadixSort(Span<int> values)
    {
        int radix = 1 << _radixBits;
        int mask = radix - 1;
        int[] rented = ArrayPool<int>.Shared.Rent(values.Length);
        Span<int> digits = stackalloc int[radix];
        try
        {
            Span<int> source = values;
            Span<int> target = rented.AsSpan(0, values.Length);
            for (int pass = 0, shift = 0; pass < _radixPasses; pass++, shift += _radixBits)
            {
                digits.Clear();
                foreach (int v in source)
                {
                    digits[(v >> shift) & mask]++;
                }
                int sum = 0;
                for (int d = 0; d < radix; d++)
                {
                    int count = digits[d];
                    digits[d] = sum;
                    sum += count;
                }
                foreach (int v in source)
                {
                    target[digits[(v >> shift) & mask]++] = v;
                }
                var swap = source;
                source = target;
                target = swap;
            }
            if (_radixPasses % 2 == 1)
            {
                source.CopyTo(values);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rented);
        }
    }

    private static bool IsWordRune(Rune rune) => Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
            or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber
            or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => true,
        _ => false,
    };

    private static bool IsUnsegmented(Rune rune) => rune.Value switch
    {
        >= 0x0E00 and <= 0x0E7F => true,   // Thai
        >= 0x3040 and <= 0x30FF => true,   // Hiragana, Katakana
        >= 0x3400 and <= 0x4DBF => true,   // CJK extension A
        >= 0x4E00 and <= 0x9FFF => true,   // CJK unified ideographs
        >= 0xF900 and <= 0xFAFF => true,   // CJK compatibility ideographs
        >= 0x20000 and <= 0x3134F => true, // CJK extensions B–G
        _ => false,
    };

    /// <summary>A growable int buffer rented from the shared pool.</summary>
    private struct PooledList : IDisposable
    {
        private int[] _items;
        private int _count;

        public PooledList(int capacity) => _items = ArrayPool<int>.Shared.Rent(capacity);

        public readonly Span<int> Span => _items.AsSpan(0, _count);

        public void Add(int value)
        {
            if (_count == _items.Length)
            {
                var bigger = ArrayPool<int>.Shared.Rent(_items.Length * 2);
                _items.AsSpan(0, _count).CopyTo(bigger);
                ArrayPool<int>.Shared.Return(_items);
                _items = bigger;
            }
            _items[_count++] = value;
        }

        public void Dispose()
        {
            // A default list (a row never collected, after a failure) holds nothing to return.
            if (_items is { Length: > 0 })
            {
                ArrayPool<int>.Shared.Return(_items);
            }
            _items = [];
        }
    }
}
