namespace Verdict.Training;

/// <summary>What to train, on what data, and where to write the model package.</summary>
public sealed record TrainingOptions
{
    /// <summary>The labelled CSV file (header row, RFC 4180).</summary>
    public required string DataPath { get; init; }

    /// <summary>The folder the package is written to.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>The text column.</summary>
    public string TextColumn { get; init; } = "text";

    /// <summary>The label column.</summary>
    public string LabelColumn { get; init; } = "label";

    /// <summary>
    /// A column with <c>train</c> / <c>test</c> per row; other values are ignored. Without it, a
    /// seeded <see cref="TestFraction"/> of each label is held out for the test metrics.
    /// </summary>
    public string? SplitColumn { get; init; }

    /// <summary>The model.</summary>
    public ModelArchitecture Architecture { get; init; } = ModelArchitecture.Linear;

    /// <summary>The seed of every random choice; the same seed and data give the same model, bit for bit.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The model's name in the manifest.</summary>
    public string Name { get; init; } = "intent";

    /// <summary>The model's version in the manifest.</summary>
    public string Version { get; init; } = "1";

    /// <summary>Passes over the training data; null picks the architecture's default.</summary>
    public int? Epochs { get; init; }

    /// <summary>Initial SGD learning rate (it decays linearly to 0); null picks the architecture's default.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Hash buckets of the featurizer.</summary>
    public int Buckets { get; init; } = 1 << 18;

    /// <summary>mlp: the embedding dimension.</summary>
    public int EmbeddingDimension { get; init; } = 128;

    /// <summary>mlp: hidden units.</summary>
    public int HiddenUnits { get; init; } = 128;

    /// <summary>mlp: the probability a hidden unit is dropped at each training step.</summary>
    public double Dropout { get; init; } = 0.3;

    /// <summary>Share of each label held out for testing when there is no split column.</summary>
    public double TestFraction { get; init; } = 0.2;

    /// <summary>encoder, hybrid: the pretrained encoder (<c>minilm</c> or <c>arctic-xs</c>).</summary>
    public string Encoder { get; init; } = "minilm";

    /// <summary>encoder, hybrid: the sentence vector's scale against the unit-norm n-grams; null picks the default.</summary>
    public float? DenseScale { get; init; }

    /// <summary>Keep at most this many training examples: a seeded sample that keeps each label's share.</summary>
    public int? MaxTrain { get; init; }

    /// <summary>Where the package is scored: <c>cpu</c> (in-process) or <c>gpu</c> (the scoring service).</summary>
    public string Target { get; init; } = "cpu";

    /// <summary>How the weights are stored: float32, or int8 (n-gram tables per row; an encoder's dense layers per column, dynamically quantized).</summary>
    public WeightPrecision Precision { get; init; } = WeightPrecision.Fp32;

    /// <summary>A sentence for the manifest.</summary>
    public string? Description { get; init; }
}

/// <summary>How a model's weights are stored.</summary>
public enum WeightPrecision
{
    /// <summary>32-bit floats, as trained.</summary>
    Fp32,
    /// <summary>8-bit integers with float scales: about a quarter of the size; the test metrics are those of the int8 model.</summary>
    Quantized8,
}
