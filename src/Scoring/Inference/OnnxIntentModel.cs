using System.Buffers;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Verdict.Scoring.Featurizers;
using Verdict.Scoring.Packages;

namespace Verdict.Scoring.Inference;

/// <summary>
/// One loaded model version: its ONNX Runtime session, its featurizer and how to read its output.
/// Thread-safe: <see cref="InferenceSession.Run(RunOptions, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string})"/> may be called concurrently.
/// Disposal waits for leases: a version being replaced keeps serving the calls already running on it.
/// </summary>
internal sealed class OnnxIntentModel : IDisposable
{
    private static readonly Dictionary<string, string> DefaultInputNames = new(StringComparer.Ordinal)
    {
        [HashedNGramFeaturizer.IdsRole] = "ids",
        [HashedNGramFeaturizer.WeightsRole] = "weights",
        [WordPieceFeaturizer.InputIdsRole] = "input_ids",
        [WordPieceFeaturizer.AttentionMaskRole] = "attention_mask",
        [WordPieceFeaturizer.TokenTypeIdsRole] = "token_type_ids",
    };

    private readonly InferenceSession _session;
    private readonly (string Role, string Name, TensorElementType Type)[] _inputs;
    private readonly string[] _inputNames;
    private readonly bool _hasInt32Input;
    private readonly string[] _outputNames;
    private readonly bool _outputIsLogits;
    private readonly RunOptions _runOptions = new();
    private volatile bool _outputIsRowsByLabels;
    private readonly object _gate = new();
    private int _leases;
    private bool _retired;
    private bool _disposed;
    private long _lastUsed;

    private OnnxIntentModel(ModelManifest manifest, IFeaturizer featurizer, InferenceSession session, string source)
    {
        Manifest = manifest;
        Featurizer = featurizer;
        _session = session;
        Reference = $"{manifest.Name}@{manifest.Version}";
        Labels = manifest.Labels.ToArray();
        _outputIsLogits = manifest.Model.OutputKind == "logits";

        var inputs = new List<(string, string, TensorElementType)>();
        foreach (var role in featurizer.Roles)
        {
            var named = manifest.Model.Inputs is { } map && map.TryGetValue(role, out var explicitName);
            var name = named ? manifest.Model.Inputs![role] : DefaultInputNames[role];
            if (!session.InputMetadata.TryGetValue(name, out var metadata))
            {
                if (!named && role == WordPieceFeaturizer.TokenTypeIdsRole)
                {
                    continue;
                }
                throw new ScoringException(ScoringError.ModelInvalid,
                    $"{source}: the ONNX graph has no input '{name}' (featurizer role '{role}'); it has {string.Join(", ", session.InputMetadata.Keys)}.");
            }
            inputs.Add((role, name, metadata.ElementDataType));
        }
        foreach (var graphInput in session.InputMetadata.Keys)
        {
            if (!inputs.Exists(i => i.Item2 == graphInput))
            {
                throw new ScoringException(ScoringError.ModelInvalid, $"{source}: the ONNX graph needs input '{graphInput}', which the '{manifest.Featurizer.Type}' featurizer does not provide.");
            }
        }
        _inputs = [.. inputs];
        _inputNames = [.. _inputs.Select(i => i.Name)];
        _hasInt32Input = Array.Exists(_inputs, i => i.Type == TensorElementType.Int32);
        if (!session.OutputMetadata.ContainsKey(manifest.Model.Output))
        {
            throw new ScoringException(ScoringError.ModelInvalid,
                $"{source}: the ONNX graph has no output '{manifest.Model.Output}'; it has {string.Join(", ", session.OutputMetadata.Keys)}.");
        }
        _outputNames = [manifest.Model.Output];
    }

    public ModelManifest Manifest { get; }

    public IFeaturizer Featurizer { get; }

    public string Reference { get; }

    public string[] Labels { get; }

    public static OnnxIntentModel Load(ModelPackage package, int intraOpThreads, bool useCuda)
    {
        var source = package.Reference.ToString();
        var featurizer = CreateFeaturizer(package, source);
        InferenceSession session;
        using (var options = SessionOptionsFactory.Create(intraOpThreads, useCuda))
        {
            try
            {
                session = new InferenceSession(package.Onnx, options);
            }
            catch (OnnxRuntimeException ex)
            {
                throw new ScoringException(ScoringError.ModelInvalid, $"{source}: ONNX Runtime cannot load {package.Manifest.Model.File}: {ex.Message}", ex);
            }
        }
        try
        {
            var model = new OnnxIntentModel(package.Manifest, featurizer, session, source);
            model.CheckOutputShape(source);
            return model;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    internal static IFeaturizer CreateFeaturizer(ModelPackage package, string source)
    {
        var spec = package.Manifest.Featurizer;
        return spec.Type switch
        {
            FeaturizerSpec.HashedNGrams => new HashedNGramFeaturizer(HashedNGramSettings.FromSpec(spec, source)),
            FeaturizerSpec.WordPiece => WordPieceFeaturizer.FromSpec(spec, package.Assets[spec.Vocab!], source),
            FeaturizerSpec.Hybrid => new CompositeFeaturizer(
                WordPieceFeaturizer.FromSpec(spec with { MaxChars = null }, package.Assets[spec.Vocab!], source),
                new HashedNGramFeaturizer(HashedNGramSettings.FromSpec(spec, source))),
            _ => throw new ScoringException(ScoringError.UnknownFeaturizer, $"{source}: featurizer '{spec.Type}' is unknown."),
        };
    }

    /// <summary>Scores a batch: featurize, one session run, softmax where the model emits logits.</summary>
    public IntentScore[] Score(IReadOnlyList<string> texts)
    {
        using var batch = Featurizer.Featurize(texts);
        return Run(batch);
    }

    /// <summary>Runs the session on an already featurized batch.</summary>
    public IntentScore[] Run(FeatureBatch batch)
    {
        var probabilities = RunRaw(batch, out var classes);
        var results = new IntentScore[batch.Rows];
        for (var r = 0; r < batch.Rows; r++)
        {
            var row = batch.Rows == 1 ? probabilities : probabilities[(r * classes)..((r + 1) * classes)];
            if (_outputIsLogits)
            {
                Softmax.Apply(row);
            }
            var best = 0;
            for (var c = 1; c < row.Length; c++)
            {
                if (row[c] > row[best])
                {
                    best = c;
                }
            }
            results[r] = new IntentScore(Reference, Labels[best], row[best], Labels, row);
        }
        return results;
    }

    /// <summary>
    /// The model's output for a batch, row after row. Once a run has shown the output to be [rows, labels], later
    /// runs write straight into the returned array, with no output tensor for ONNX Runtime to allocate and describe.
    /// </summary>
    internal float[] RunRaw(FeatureBatch batch, out int classes)
    {
        var values = new OrtValue[_inputs.Length];
        var narrowed = _hasInt32Input ? new int[]?[_inputs.Length] : null;
        OrtValue? preallocated = null;
        try
        {
            for (var i = 0; i < _inputs.Length; i++)
            {
                var tensor = TensorOf(batch, _inputs[i].Role);
                long[] shape = [batch.Rows, tensor.Columns > 0 ? tensor.Columns : batch.Columns];
                values[i] = _inputs[i].Type == TensorElementType.Int32 && tensor.Int64Data is { } longs
                    ? Narrow(longs, tensor.Length, shape, out narrowed![i])
                    : CreateValue(tensor, shape);
            }
            if (_outputIsRowsByLabels)
            {
                classes = Labels.Length;
                var probabilities = new float[batch.Rows * classes];
                preallocated = OrtValue.CreateTensorValueFromMemory(probabilities, [batch.Rows, classes]);
                _session.Run(_runOptions, _inputNames, values, _outputNames, [preallocated]);
                return probabilities;
            }
            // One RunOptions for every call: it carries no per-call state here and costs a native allocation.
            using var outputs = _session.Run(_runOptions, _inputNames, values, _outputNames);
            var output = outputs[0];
            var info = output.GetTensorTypeAndShape();
            var outputShape = info.Shape;
            classes = (int)outputShape[^1];
            if (classes != Labels.Length || info.ElementCount != (long)classes * batch.Rows)
            {
                throw new ScoringException(ScoringError.LabelsShapeMismatch,
                    $"{Reference}: output '{_outputNames[0]}' has shape [{string.Join(", ", outputShape)}], but the manifest lists {Labels.Length} labels.");
            }
            var result = output.GetTensorDataAsSpan<float>().ToArray();
            _outputIsRowsByLabels = outputShape.Length == 2;
            return result;
        }
        finally
        {
            preallocated?.Dispose();
            foreach (var value in values)
            {
                value?.Dispose();
            }
            foreach (var ints in narrowed ?? [])
            {
                if (ints is not null)
                {
                    ArrayPool<int>.Shared.Return(ints);
                }
            }
        }
    }

    private static FeatureTensor TensorOf(FeatureBatch batch, string role)
    {
        foreach (var tensor in batch.Tensors)
        {
            if (tensor.Role == role)
            {
                return tensor;
            }
        }
        throw new InvalidOperationException($"The featurizer gave no '{role}' tensor.");
    }

    private static OrtValue CreateValue(FeatureTensor tensor, long[] shape) =>
        tensor.FloatData is { } floats
            ? OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, floats.AsMemory(0, tensor.Length), shape)
            : OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, tensor.Int64Data!.AsMemory(0, tensor.Length), shape);

    /// <summary>An int32 copy of int64 features, for graphs that declare int32 inputs, in an array rented until the run is over.</summary>
    private static OrtValue Narrow(long[] longs, int length, long[] shape, out int[] rented)
    {
        rented = ArrayPool<int>.Shared.Rent(length);
        for (var i = 0; i < length; i++)
        {
            rented[i] = (int)longs[i];
        }
        return OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, rented.AsMemory(0, length), shape);
    }

    private void CheckOutputShape(string source)
    {
        var declared = _session.OutputMetadata[_outputNames[0]].Dimensions;
        if (declared.Length > 0 && declared[^1] > 0 && declared[^1] != Labels.Length)
        {
            throw new ScoringException(ScoringError.LabelsShapeMismatch,
                $"{source}: output '{_outputNames[0]}' has {declared[^1]} scores per text, but the manifest lists {Labels.Length} labels.");
        }
        // A warm-up call: checks dynamic output shapes and makes the first real request as fast as the rest.
        Score(["warm-up"]);
    }

    /// <summary>When the model was last acquired (UTC ticks, kept to the second), for evicting idle versions.</summary>
    internal long LastUsed => Volatile.Read(ref _lastUsed);

    /// <summary>Whether the session has been disposed (for tests).</summary>
    internal bool IsDisposed
    {
        get
        {
            lock (_gate)
            {
                return _disposed;
            }
        }
    }

    /// <summary>Records a use at <paramref name="utcTicks"/>; writes at most once a second, as every call comes through here.</summary>
    internal void Touch(long utcTicks)
    {
        if (utcTicks - Volatile.Read(ref _lastUsed) >= TimeSpan.TicksPerSecond)
        {
            Volatile.Write(ref _lastUsed, utcTicks);
        }
    }

    public bool TryAcquire()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }
            _leases++;
            return true;
        }
    }

    public void Release()
    {
        lock (_gate)
        {
            _leases--;
            if (_retired && _leases == 0 && !_disposed)
            {
                _disposed = true;
                _session.Dispose();
                _runOptions.Dispose();
            }
        }
    }

    /// <summary>Disposes the session as soon as no call holds a lease.</summary>
    public void Retire()
    {
        lock (_gate)
        {
            _retired = true;
            if (_leases == 0 && !_disposed)
            {
                _disposed = true;
                _session.Dispose();
                _runOptions.Dispose();
            }
        }
    }

    public void Dispose() => Retire();
}
