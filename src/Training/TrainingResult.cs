using Verdict.Scoring.Packages;

namespace Verdict.Training;

/// <summary>A trained model package and how it did.</summary>
/// <param name="PackageDirectory">Where the package was written.</param>
/// <param name="Manifest">Its manifest, metrics included.</param>
/// <param name="ServingAgreements">Test examples whose label, scored by the exported ONNX model through the serving code, equals the trainer's own prediction.</param>
/// <param name="ServingChecked">Test examples checked that way.</param>
public sealed record TrainingResult(string PackageDirectory, ModelManifest Manifest, int ServingAgreements, int ServingChecked);
