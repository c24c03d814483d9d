using System.Text.Json.Serialization;

namespace Verdict.Scoring.Packages;

/// <summary>
/// <c>manifest.json</c> of a model package: what the model predicts, how text is featurized,
/// how the ONNX graph is called and how the model did when it was trained.
/// </summary>
public sealed record ModelManifest
{
    /// <summary>The version of this manifest's schema; 1.</summary>
    public int SchemaVersion { get; init; } = 1;

    /// <summary>The model's name, the first half of <c>name@version</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The version; immutable once published.</summary>
    public required string Version { get; init; }

    /// <summary>The labels, in the order of the model's output.</summary>
    public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>How text becomes the model's inputs.</summary>
    public required FeaturizerSpec Featurizer { get; init; }

    /// <summary>The ONNX file and how to call it.</summary>
    public required OnnxSpec Model { get; init; }

    /// <summary><c>cpu</c> (served in-process) or <c>gpu</c> (served by the GPU scoring service).</summary>
    public string Target { get; init; } = "cpu";

    /// <summary>A sentence about the model, for people.</summary>
    public string? Description { get; init; }

    /// <summary>When the package was made.</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>Evaluation metrics recorded at training time, if any.</summary>
    public ModelMetrics? Metrics { get; init; }

    /// <summary>How the model was trained, if Verdict trained it.</summary>
    public TrainingInfo? Training { get; init; }
}

/// <summary>How text becomes model inputs. <see cref="Type"/> picks the featurizer; the other properties are its parameters.</summary>
public sealed record FeaturizerSpec
{
    /// <summary>The featurizer for hashed word and character n-grams.</summary>
    public const string HashedNGrams = "hashed-ngrams";

    /// <summary>The BERT WordPiece featurizer.</summary>
    public const string WordPiece = "wordpiece";

    /// <summary>
    /// Both: the WordPiece inputs of a pretrained encoder and the hashed n-grams (<c>ids</c>, <c>weights</c>) beside them,
    /// for a model that adds a linear n-gram term to the encoder's. Takes the fields of both.
    /// </summary>
    public const string Hybrid = "wordpiece+hashed-ngrams";

    /// <summary><c>hashed-ngrams</c> or <c>wordpiece</c>.</summary>
    public required string Type { get; init; }

    /// <summary>hashed-ngrams: the number of hash buckets (the model's input vocabulary).</summary>
    public int? Buckets { get; init; }

    /// <summary>hashed-ngrams: the longest word n-gram (1 = words only, 2 = words and bigrams).</summary>
    public int? WordNgrams { get; init; }

    /// <summary>hashed-ngrams: the shortest character n-gram (0 = none).</summary>
    public int? CharNgramMin { get; init; }

    /// <summary>hashed-ngrams: the longest character n-gram.</summary>
    public int? CharNgramMax { get; init; }

    /// <summary>Characters of text read; the rest is ignored. Bounds the cost of a very long email.</summary>
    public int? MaxChars { get; init; }

    /// <summary>wordpiece: the vocabulary file in the package (BERT <c>vocab.txt</c>).</summary>
    public string? Vocab { get; init; }

    /// <summary>wordpiece: whether text is lower-cased first (uncased models).</summary>
    public bool? Lowercase { get; init; }

    /// <summary>wordpiece: the most tokens per text, [CLS] and [SEP] included; longer texts are truncated.</summary>
    public int? MaxLength { get; init; }
}

/// <summary>The ONNX file and the names of its inputs and output.</summary>
public sealed record OnnxSpec
{
    /// <summary>The ONNX file in the package.</summary>
    public string File { get; init; } = "model.onnx";

    /// <summary>Lower-case hex SHA-256 of <see cref="File"/>, checked before the model is loaded.</summary>
    public required string Sha256 { get; init; }

    /// <summary>
    /// The graph input for each featurizer role. hashed-ngrams: <c>ids</c>, <c>weights</c>;
    /// wordpiece: <c>inputIds</c>, <c>attentionMask</c>, optional <c>tokenTypeIds</c>.
    /// A role left out uses its conventional name (<c>ids</c>, <c>weights</c>, <c>input_ids</c>,
    /// <c>attention_mask</c>, <c>token_type_ids</c> when the graph has it).
    /// </summary>
    public IReadOnlyDictionary<string, string>? Inputs { get; init; }

    /// <summary>The graph output holding one score per label.</summary>
    public string Output { get; init; } = "logits";

    /// <summary><c>logits</c> (softmax is applied) or <c>probabilities</c>.</summary>
    public string OutputKind { get; init; } = "logits";
}

/// <summary>Evaluation metrics of a model on a held-out split.</summary>
public sealed record ModelMetrics
{
    /// <summary>The split the metrics were computed on.</summary>
    public string Split { get; init; } = "test";

    /// <summary>Number of examples evaluated.</summary>
    public int Examples { get; init; }

    /// <summary>Share of examples whose predicted label is the true one.</summary>
    public double Accuracy { get; init; }

    /// <summary>Unweighted mean of the per-class F1 scores.</summary>
    public double MacroF1 { get; init; }

    /// <summary>F1 per label.</summary>
    public IReadOnlyDictionary<string, double> PerClassF1 { get; init; } = new Dictionary<string, double>();

    /// <summary>Rows are true labels, columns predicted labels, both in <see cref="ModelManifest.Labels"/> order.</summary>
    public IReadOnlyList<IReadOnlyList<int>> ConfusionMatrix { get; init; } = [];
}

/// <summary>How Verdict trained a model.</summary>
public sealed record TrainingInfo
{
    /// <summary><c>linear</c> or <c>mlp</c>.</summary>
    public required string Architecture { get; init; }

    /// <summary>The random seed.</summary>
    public int Seed { get; init; }

    /// <summary>The pretrained encoder under the model (<c>minilm</c>, <c>arctic-xs</c>), if any.</summary>
    public string? Encoder { get; init; }

    /// <summary>How the weights are stored: <c>fp32</c> or <c>int8</c>.</summary>
    public string? Precision { get; init; }

    /// <summary>For an int8 model: the test accuracy of the float model it was quantized from.</summary>
    public double? Fp32Accuracy { get; init; }

    /// <summary>For a distilled student: its teacher and how the two compare.</summary>
    public DistillationInfo? Distillation { get; init; }

    /// <summary>Training examples.</summary>
    public int TrainExamples { get; init; }

    /// <summary>Passes over the training data.</summary>
    public int Epochs { get; init; }

    /// <summary>Wall-clock training time in seconds.</summary>
    public double Seconds { get; init; }

    /// <summary>The file trained on (its name only).</summary>
    public string? DataFile { get; init; }

    /// <summary>Hyper-parameters, by name.</summary>
    [JsonPropertyName("hyperParameters")]
    public IReadOnlyDictionary<string, double> HyperParameters { get; init; } = new Dictionary<string, double>();
}

/// <summary>What distillation did: the teacher, both accuracies, how often they agree, and how much faster the student is.</summary>
public sealed record DistillationInfo
{
    /// <summary>The teacher, <c>name@version</c>.</summary>
    public required string Teacher { get; init; }

    /// <summary>Texts the teacher labelled for the student.</summary>
    public int TransferExamples { get; init; }

    /// <summary>The teacher's accuracy on the test split.</summary>
    public double TeacherAccuracy { get; init; }

    /// <summary>The student's accuracy on the test split.</summary>
    public double StudentAccuracy { get; init; }

    /// <summary>Share of test texts on which the student predicts the teacher's label.</summary>
    public double Agreement { get; init; }

    /// <summary>The teacher's scoring time per text over the student's (one text per call, one thread, serving code).</summary>
    public double SpeedRatio { get; init; }

    /// <summary>Milliseconds per text for the teacher and the student, as measured for <see cref="SpeedRatio"/>.</summary>
    public double TeacherMsPerText { get; init; }

    /// <inheritdoc cref="TeacherMsPerText"/>
    public double StudentMsPerText { get; init; }
}
