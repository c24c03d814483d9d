using System.Runtime.InteropServices;

namespace Verdict.Experimentation.Events;

/// <summary>
/// Pinned arrays for the join's per-event state, backed by transparent huge pages where Linux offers them.
/// </summary>
/// <remarks>
/// The join touches hundreds of megabytes of fresh memory at random. With 4 KiB pages every first touch is a
/// page fault (about 15 µs each on the virtual machines measured in docs/benchmarks.md) and every random
/// access a likely TLB miss. Asking for 2 MiB pages (<c>madvise(MADV_HUGEPAGE)</c>, honoured when the
/// system's THP mode is <c>always</c> or <c>madvise</c>) before the memory is touched cuts both. The arrays
/// are pinned (the pinned object heap never moves them, so the advice stays with their memory); fresh memory
/// is advised before anything touches it. Elsewhere, or when the call fails, the arrays are ordinary.
/// </remarks>
internal static partial class LargeArrays
{
    private const int HugePage = 1 << 21;
    private const int MadviseHugePage = 14;
    private static bool s_unavailable = !OperatingSystem.IsLinux();

    /// <summary>A pinned array of <paramref name="length"/> elements; zeroed only when <paramref name="zeroed"/>.</summary>
    public static T[] Allocate<T>(int length, bool zeroed)
        where T : unmanaged
    {
        // Zeroing is the runtime's: it clears only memory it has used before, fresh pages being zero already.
        var array = zeroed ? GC.AllocateArray<T>(length, pinned: true) : GC.AllocateUninitializedArray<T>(length, pinned: true);
        long bytes = (long)length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (bytes >= 2L * HugePage && !s_unavailable)
        {
            long start = Marshal.UnsafeAddrOfPinnedArrayElement(array, 0);
            long first = (start + HugePage - 1) & ~(long)(HugePage - 1);
            long end = (start + bytes) & ~(long)(HugePage - 1);
            try
            {
                // Advice only: on failure (an old kernel, THP off) the pages are simply small.
                _ = Madvise((nint)first, (nuint)(end - first), MadviseHugePage);
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                s_unavailable = true;
            }
        }
        return array;
    }

    /// <summary>Starts loading <paramref name="item"/>, an element of a pinned array, into the cache (x86; elsewhere nothing).</summary>
    public static unsafe void Prefetch<T>(ref T item)
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(System.Runtime.CompilerServices.Unsafe.AsPointer(ref item));
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
