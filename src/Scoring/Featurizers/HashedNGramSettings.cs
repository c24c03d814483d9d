using Verdict.Scoring.Packages;

namespace Verdict.Scoring.Featurizers;

/// <summary>Validated parameters of the <c>hashed-ngrams</c> featurizer.</summary>
internal sealed record HashedNGramSettings(int Buckets, int WordNgrams, int CharNgramMin, int CharNgramMax, int MaxChars)
{
    public const int DefaultBuckets = 1 << 18;

    public static HashedNGramSettings Default { get; } = new(DefaultBuckets, 2, 3, 5, 20_000);

    public static HashedNGramSettings FromSpec(FeaturizerSpec spec, string source)
    {
        var settings = new HashedNGramSettings(
            spec.Buckets ?? Default.Buckets,
            spec.WordNgrams ?? Default.WordNgrams,
            spec.CharNgramMin ?? Default.CharNgramMin,
            spec.CharNgramMax ?? Default.CharNgramMax,
            spec.MaxChars ?? Default.MaxChars);
        settings.Validate(source);
        return settings;
    }

    public FeaturizerSpec ToSpec() => new()
    {
        Type = FeaturizerSpec.HashedNGrams,
        Buckets = Buckets,
        WordNgrams = WordNgrams,
        CharNgramMin = CharNgramMin,
        CharNgramMax = CharNgramMax,
        MaxChars = MaxChars,
    };

    public void Validate(string source)
    {
        string? problem = null;
        if (Buckets is < 16 or > (1 << 24))
        {
            problem = "'featurizer.buckets' must be between 16 and 16777216";
        }
        else if (WordNgrams is < 1 or > 3)
        {
            problem = "'featurizer.wordNgrams' must be 1, 2 or 3";
        }
        else if (CharNgramMin != 0 && (CharNgramMin < 1 || CharNgramMax < CharNgramMin || CharNgramMax > 8))
        {
            problem = "'featurizer.charNgramMin'/'charNgramMax' must satisfy 1 ≤ min ≤ max ≤ 8 (or min = 0 for none)";
        }
        else if (MaxChars is < 1 or > 1_000_000)
        {
            problem = "'featurizer.maxChars' must be between 1 and 1000000";
        }
        if (problem is not null)
        {
            throw new ScoringException(ScoringError.ManifestInvalid, $"{source}: {problem}.");
        }
    }
}
