using System.Buffers;

namespace Verdict.Scoring.Featurizers;

/// <summary>
/// One named model input of a batch: the first <paramref name="Length"/> values of its array (<c>Rows × Columns</c>,
/// row-major). A pooled array may be longer; what lies beyond <paramref name="Length"/> means nothing.
/// <paramref name="Columns"/> is the tensor's own width when it differs from the batch's (0: the batch's).
/// </summary>
internal sealed record FeatureTensor(string Role, long[]? Int64Data, float[]? FloatData, int Length, int Columns = 0)
{
    public ReadOnlySpan<long> Int64 => Int64Data.AsSpan(0, Int64Data is null ? 0 : Length);

    public ReadOnlySpan<float> Float => FloatData.AsSpan(0, FloatData is null ? 0 : Length);
}

/// <summary>
/// The model inputs for a batch of texts, padded to a common length. A batch whose arrays were rented gives
/// them back to the shared pools when disposed; it must not be read after that.
/// </summary>
internal class FeatureBatch(int rows, int columns, IReadOnlyList<FeatureTensor> tensors, bool pooled = false) : IDisposable
{
    private int _disposed;

    public int Rows { get; } = rows;

    public int Columns { get; } = columns;

    public IReadOnlyList<FeatureTensor> Tensors { get; } = tensors;

    /// <summary>An array of at least <paramref name="length"/> elements from the shared pool, its first <paramref name="length"/> zeroed.</summary>
    public static T[] Rent<T>(int length)
    {
        var array = ArrayPool<T>.Shared.Rent(length);
        Array.Clear(array, 0, length);
        return array;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>Gives the rented arrays back (a composite batch gives back its parts').</summary>
    protected virtual void Release()
    {
        if (!pooled)
        {
            return;
        }
        foreach (var tensor in Tensors)
        {
            if (tensor.Int64Data is { } longs)
            {
                ArrayPool<long>.Shared.Return(longs);
            }
            if (tensor.FloatData is { } floats)
            {
                ArrayPool<float>.Shared.Return(floats);
            }
        }
    }
}
