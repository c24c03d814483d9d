namespace Verdict.Scoring.Featurizers;

/// <summary>Turns texts into model inputs. Training and serving share the implementations, so both featurize identically.</summary>
internal interface IFeaturizer
{
    /// <summary>The input roles this featurizer fills, in the manifest's vocabulary (<c>ids</c>, <c>inputIds</c>, …).</summary>
    IReadOnlyList<string> Roles { get; }

    /// <summary>Featurizes a batch; texts may be empty or contain any UTF-16, valid or not.</summary>
    FeatureBatch Featurize(IReadOnlyList<string> texts);
}
