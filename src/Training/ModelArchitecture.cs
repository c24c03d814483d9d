namespace Verdict.Training;

/// <summary>The kinds of model the trainer builds.</summary>
public enum ModelArchitecture
{
    /// <summary>Softmax regression on hashed word and character n-grams.</summary>
    Linear,
    /// <summary>An embedding bag of hashed n-grams, one ReLU hidden layer, then softmax (fastText-like).</summary>
    Mlp,
    /// <summary>A frozen pretrained encoder's pooled sentence vector, then softmax regression (transfer learning).</summary>
    Encoder,
    /// <summary>Softmax regression on the encoder's sentence vector and the hashed n-grams together.</summary>
    Hybrid,
}
