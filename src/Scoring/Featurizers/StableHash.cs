namespace Verdict.Scoring.Featurizers;

/// <summary>
/// FNV-1a (32-bit) over UTF-16 code units with a murmur3 finalizer. Fixed forever: a trained model's
/// weights are indexed by these hashes, so changing this function silently breaks every hashed model.
/// </summary>
internal static class StableHash
{
    private const uint Prime = 16777619;

    public static uint Hash(ReadOnlySpan<char> text, uint basis)
    {
        var h = basis;
        foreach (var c in text)
        {
            h = (h ^ (c & 0xFFu)) * Prime;
            h = (h ^ (uint)(c >> 8)) * Prime;
        }
        return Finalize(h);
    }

    public static uint Combine(uint first, uint second) =>
        Finalize((first * 0x9E3779B1u) ^ ((second << 13) | (second >> 19)) ^ 0x85EBCA6Bu);

    private static uint Finalize(uint h)
    {
        h ^= h >> 16;
        h *= 0x85EBCA6B;
        h ^= h >> 13;
        h *= 0xC2B2AE35;
        h ^= h >> 16;
        return h;
    }
}
