using System.Diagnostics;
using Verdict.Scoring.Inference;
using Verdict.Scoring.Packages;
using Verdict.Training.Data;

namespace Verdict.Training;

/// <summary>
/// Knowledge distillation: a fast n-gram student learns the teacher's probabilities (its soft labels) on unlabelled
/// text — the training split's texts, their labels unused, or a separate file — and is tested on the gold labels.
/// </summary>
public static class Distiller
{
    /// <summary>
    /// Distils <paramref name="teacherDirectory"/> into a <paramref name="options"/>.Architecture student (linear or mlp).
    /// <paramref name="unlabelledPath"/>, when given, is a CSV whose <c>options.TextColumn</c> holds the transfer texts.
    /// </summary>
    public static TrainingResult Distill(TrainingOptions options, string teacherDirectory, string? unlabelledPath, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Architecture is not (ModelArchitecture.Linear or ModelArchitecture.Mlp))
        {
            throw new ArgumentException("the student must be linear or mlp.", nameof(options));
        }
        progress ??= _ => { };
        var clock = Stopwatch.StartNew();
        var package = ModelPackage.ReadFolderAsync(teacherDirectory, CancellationToken.None).GetAwaiter().GetResult();
        using var teacher = OnnxIntentModel.Load(package, intraOpThreads: Environment.ProcessorCount, useCuda: false);
        var data = TrainingSet.Load(options with { MaxTrain = null });
        var labels = teacher.Labels;
        var missing = data.Labels.Except(labels, StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            throw new TrainingDataException(options.DataPath, 0, $"the teacher {teacher.Reference} does not know the label(s) {string.Join(", ", missing)}");
        }
        // The student's outputs are the teacher's labels, in the teacher's order.
        data = data with { Labels = [.. labels], LabelIndex = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal) };

        var transfer = unlabelledPath is null
            ? data.Train.Select(e => e.Text).ToList()
            : LabelledCsvReader.ReadTexts(unlabelledPath, options.TextColumn);
        progress($"the teacher {teacher.Reference} labels {transfer.Count} texts ...");
        var soft = new List<float[]>(transfer.Count);
        foreach (var chunk in transfer.Chunk(64))
        {
            soft.AddRange(teacher.Score(chunk).Select(s => s.Probabilities.ToArray()));
        }
        var transferExamples = transfer.Select((t, i) => new LabelledExample(t, labels[Argmax(soft[i])], "train", i + 1)).ToList();
        using var space = FeatureSpace.Create(options);
        var fit = IntentTrainer.Fit(options, data, transferExamples, soft, space, progress);

        var teacherPredicted = new List<string>(data.Test.Count);
        foreach (var chunk in data.Test.Chunk(64))
        {
            teacherPredicted.AddRange(teacher.Score(chunk.Select(e => e.Text).ToArray()).Select(s => s.Label));
        }
        var teacherAccuracy = data.Test.Count == 0 ? 0 : data.Test.Where((e, i) => e.Label == teacherPredicted[i]).Count() / (double)data.Test.Count;
        var agreement = data.Test.Count == 0 ? 0 : fit.Predicted.Where((p, i) => labels[p] == teacherPredicted[i]).Count() / (double)data.Test.Count;
        progress($"student accuracy {fit.Metrics.Accuracy:F4}, teacher {teacherAccuracy:F4}, agreement {agreement:F4}");

        var result = IntentTrainer.Write(options, data, space, fit, clock.Elapsed.TotalSeconds, training => training with
        {
            Distillation = new DistillationInfo
            {
                Teacher = teacher.Reference,
                TransferExamples = transfer.Count,
                TeacherAccuracy = Math.Round(teacherAccuracy, 4),
                StudentAccuracy = Math.Round(fit.Metrics.Accuracy, 4),
                Agreement = Math.Round(agreement, 4),
            },
        }, progress);
        // Speed: both through the serving code, one text per call on one thread, over the same test texts.
        var texts = data.Test.Select(e => e.Text).Take(300).ToArray();
        using var student = OnnxIntentModel.Load(ModelPackage.ReadFolderAsync(options.OutputDirectory, CancellationToken.None).GetAwaiter().GetResult(), 1, false);
        using var slowTeacher = OnnxIntentModel.Load(package, 1, false);
        var teacherMs = MsPerText(slowTeacher, texts);
        var studentMs = MsPerText(student, texts);
        var info = result.Manifest.Training!.Distillation! with
        {
            TeacherMsPerText = Math.Round(teacherMs, 4),
            StudentMsPerText = Math.Round(studentMs, 4),
            SpeedRatio = Math.Round(teacherMs / Math.Max(studentMs, 1e-9), 1),
        };
        var manifest = result.Manifest with { Training = result.Manifest.Training with { Distillation = info } };
        File.WriteAllBytes(Path.Combine(options.OutputDirectory, ModelPackage.ManifestFile), ManifestJson.Serialize(manifest));
        progress($"student {studentMs:F3} ms/text, teacher {teacherMs:F3} ms/text: {info.SpeedRatio}x faster");
        return result with { Manifest = manifest };
    }

    private static double MsPerText(OnnxIntentModel model, string[] texts)
    {
        foreach (var text in texts.Take(20))
        {
            model.Score([text]);
        }
        var clock = Stopwatch.StartNew();
        foreach (var text in texts)
        {
            model.Score([text]);
        }
        return clock.Elapsed.TotalMilliseconds / Math.Max(1, texts.Length);
    }

    private static int Argmax(float[] values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }
        return best;
    }
}
