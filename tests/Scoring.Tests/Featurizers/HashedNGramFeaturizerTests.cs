using Verdict.Scoring.Featurizers;

namespace Verdict.Scoring.Tests.Featurizers;

public sealed class HashedNGramFeaturizerTests
{
    private static readonly HashedNGramFeaturizer Featurizer = new(HashedNGramSettings.Default with { Buckets = 1 << 16, MaxChars = 2000 });

    [Fact]
    public void Extract_SameText_SameFeatures()
    {
        var a = Featurizer.Extract("Please remove me from your list");
        var b = Featurizer.Extract("Please remove me from your list");
        Assert.Equal(a.Ids, b.Ids);
        Assert.Equal(a.Values, b.Values);
    }

    // A long email (past the size where ids are radix-sorted) and several bucket counts (powers of two use a
    // mask, others an exact division-free modulo). The features are frozen: trained models are indexed by
    // them. Expected values are those of the first implementation (comparison sort, '%').
    [Theory]
    [InlineData(1 << 18, 482, 65_368_726L, 2548851.1954141464)]
    [InlineData(1 << 16, 481, 15_657_777L, 606576.7563406778)]
    [InlineData(1000, 383, 188_583L, 8237.178261037916)]
    [InlineData(16_777_213, 484, 3_919_583_526L, 153144362.54757822)]
    [InlineData(97, 96, 4_613L, 457.25445812009275)]
    public void Extract_LongEmail_FeaturesAreFrozen(int buckets, int count, long idSum, double weightedIdSum)
    {
        var featurizer = new HashedNGramFeaturizer(HashedNGramSettings.Default with { Buckets = buckets });
        string email = string.Join("\n", Enumerable.Range(0, 40).Select(i =>
            $"Hi team, thanks for the demo #{i}! Could you send pricing for {i * 7 % 13} seats? Café résumé naïve — 会議 {i}."));

        var features = featurizer.Extract(email);

        Assert.Equal(count, features.Count);
        Assert.Equal(idSum, features.Ids.Sum(id => (long)id));
        Assert.Equal(weightedIdSum, features.Ids.Zip(features.Values).Sum(p => p.First * (double)p.Second), weightedIdSum * 1e-12);
        Assert.True(features.Ids.Zip(features.Ids.Skip(1)).All(p => p.First < p.Second));
    }

    // Short and sentence-length emails (a few dozen to a hundred-odd ids, on both sides of the size where the ids
    // switch from a comparison sort to radix passes), frozen like the long one: values of the comparison-sort build.
    [Theory]
    [InlineData(1 << 18, "Thanks, send pricing?", 47, 5_893_201L, 859611.7245798409)]
    [InlineData(1 << 18, "Hi team, thanks for the demo! Could you send pricing for 12 seats?", 130, 17_633_289L, 1528161.6685091108)]
    [InlineData(1 << 16, "Thanks, send pricing?", 47, 1_371_217L, 200012.5585642159)]
    [InlineData(1 << 16, "Hi team, thanks for the demo! Could you send pricing for 12 seats?", 130, 4_132_873L, 357672.23833332956)]
    [InlineData(1000, "Hi team, thanks for the demo! Could you send pricing for 12 seats?", 121, 60_437L, 5436.811111330986)]
    [InlineData(97, "Thanks, send pricing?", 37, 1_698L, 268.3929606080055)]
    public void Extract_ShortEmail_FeaturesAreFrozen(int buckets, string email, int count, long idSum, double weightedIdSum)
    {
        var features = new HashedNGramFeaturizer(HashedNGramSettings.Default with { Buckets = buckets }).Extract(email);

        Assert.Equal(count, features.Count);
        Assert.Equal(idSum, features.Ids.Sum(id => (long)id));
        Assert.Equal(weightedIdSum, features.Ids.Zip(features.Values).Sum(p => p.First * (double)p.Second), weightedIdSum * 1e-12);
        Assert.True(features.Ids.Zip(features.Ids.Skip(1)).All(p => p.First < p.Second));
    }

    [Fact]
    public void Extract_AnyText_IdsAscendingDistinctInRangeWithUnitNorm()
    {
        var features = Featurizer.Extract("Yes, let's talk on Friday! Yes yes.");
        Assert.True(features.Count > 10);
        for (var i = 1; i < features.Count; i++)
        {
            Assert.True(features.Ids[i] > features.Ids[i - 1]);
        }
        Assert.All(features.Ids, id => Assert.InRange(id, 0, (1 << 16) - 1));
        Assert.Equal(1.0, Math.Sqrt(features.Values.Sum(v => (double)v * v)), 5);
    }

    [Theory]
    // Independent reference (Python): FNV-1a 32 over each UTF-16 unit's low then high byte, basis 2166136261,
    // then murmur3 fmix32. "a" -> 0x91e9da27, "hello" -> 0xf5939e9c, "привет" -> 0xf3364f56.
    [InlineData("a", 0x91e9da27u)]
    [InlineData("hello", 0xf5939e9cu)]
    [InlineData("привет", 0xf3364f56u)]
    public void Hash_Word_MatchesReferenceImplementation(string word, uint expected)
    {
        // Trained weights are indexed by these hashes: a change here silently breaks every published model.
        Assert.Equal(expected, StableHash.Hash(word, 2166136261));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("!!! ??? ...")]
    public void Extract_NoWords_ReturnsNoFeatures(string text) => Assert.Equal(0, Featurizer.Extract(text).Count);

    [Fact]
    public void Extract_CaseAndWidthVariants_FeaturizeAlike()
    {
        var plain = Featurizer.Extract("hello world");
        Assert.Equal(plain.Ids, Featurizer.Extract("HELLO World").Ids);
        Assert.Equal(plain.Ids, Featurizer.Extract("ＨＥＬＬＯ ｗｏｒｌｄ").Ids); // full-width, NFKC
    }

    [Fact]
    public void Extract_NonLatinScripts_CaseFoldAndTokenize()
    {
        Assert.Equal(Featurizer.Extract("привет мир").Ids, Featurizer.Extract("ПРИВЕТ МИР").Ids);
        Assert.Equal(Featurizer.Extract("καλημέρα").Ids, Featurizer.Extract("ΚΑΛΗΜΈΡΑ").Ids);
        Assert.True(Featurizer.Extract("أضف تذكيرًا اليوم").Count > 5);
        Assert.True(Featurizer.Extract("हिंदी में नमस्ते").Count > 5);
    }

    [Fact]
    public void Extract_UnsegmentedScript_MakesEveryCharacterAWord()
    {
        // Japanese has no spaces: each character is a word, so shared characters share features.
        var a = Featurizer.Extract("明日の天気");
        var b = Featurizer.Extract("今日の天気");
        Assert.True(a.Ids.Intersect(b.Ids).Count() >= 3);
    }

    [Fact]
    public void Extract_LoneSurrogates_TreatedAsReplacementCharacter()
    {
        var lone = Featurizer.Extract("abc\uD800def \uDC00x");
        var replaced = Featurizer.Extract("abc\uFFFDdef \uFFFDx");
        Assert.Equal(replaced.Ids, lone.Ids);
    }

    [Fact]
    public void Extract_ControlCharacters_SeparateWordsLikeSpaces()
    {
        Assert.Equal(Featurizer.Extract("hello world").Ids, Featurizer.Extract("hello\u0000world").Ids);
        Assert.Equal(Featurizer.Extract("hello world").Ids, Featurizer.Extract("hello\u001Bworld").Ids);
    }

    [Fact]
    public void Extract_TextOverMaxChars_ReadsOnlyThePrefix()
    {
        var prefix = string.Concat(Enumerable.Repeat("word ", 400)); // 2000 chars
        var huge = prefix + new string('z', 1_000_000);
        Assert.Equal(Featurizer.Extract(prefix).Ids, Featurizer.Extract(huge).Ids);
    }

    [Fact]
    public void Extract_SurrogatePairCutAtMaxChars_DoesNotThrow()
    {
        var text = new string('a', 1999) + "😀";
        Assert.True(Featurizer.Extract(text).Count > 0);
    }

    [Fact]
    public void Featurize_Batch_PadsWithZeroWeight()
    {
        var batch = Featurizer.Featurize(["one", "a much longer text with many words in it"]);
        Assert.Equal(2, batch.Rows);
        var weights = batch.Tensors.Single(t => t.Role == "weights").Float.ToArray();
        var shortCount = Featurizer.Extract("one").Count;
        Assert.All(weights.Skip(shortCount).Take(batch.Columns - shortCount), w => Assert.Equal(0f, w));
    }

    [Fact]
    public void Featurize_AfterABatchIsDisposed_ReusedArraysCarryNoLeftovers()
    {
        const string Long = "a much longer text with many words in it, and then a few more words to fill every column";
        Featurizer.Featurize([Long, Long + " again"]).Dispose();

        // About as many values as before, so the pool hands back the same arrays; the short row is mostly padding.
        using var batch = Featurizer.Featurize(["one", Long]);

        var expected = new[] { Featurizer.Extract("one"), Featurizer.Extract(Long) };
        var ids = batch.Tensors.Single(t => t.Role == "ids").Int64.ToArray();
        var weights = batch.Tensors.Single(t => t.Role == "weights").Float.ToArray();
        for (int r = 0; r < 2; r++)
        {
            var padding = batch.Columns - expected[r].Count;
            Assert.Equal(expected[r].Ids.Select(i => (long)i).Concat(Enumerable.Repeat(0L, padding)), ids.Skip(r * batch.Columns).Take(batch.Columns));
            Assert.Equal(expected[r].Values.Concat(Enumerable.Repeat(0f, padding)), weights.Skip(r * batch.Columns).Take(batch.Columns));
        }
    }

    [Theory]
    [InlineData("Thanks, could we talk about pricing next week? Thanks again, thanks.")]
    [InlineData("")]
    [InlineData("...")]
    public void Featurize_OneText_GivesExactlyItsExtractedFeatures_AsABatchOfOneRowAtLeastOneWide(string text)
    {
        var expected = Featurizer.Extract(text);

        var batch = Featurizer.Featurize([text]);

        Assert.Equal(1, batch.Rows);
        Assert.Equal(Math.Max(1, expected.Count), batch.Columns);
        var ids = batch.Tensors.Single(t => t.Role == "ids").Int64.ToArray();
        var weights = batch.Tensors.Single(t => t.Role == "weights").Float.ToArray();
        Assert.Equal(expected.Ids.Select(i => (long)i).Concat(expected.Count == 0 ? [0L] : []), ids);
        Assert.Equal(expected.Values.Concat(expected.Count == 0 ? [0f] : []), weights);
    }
}
