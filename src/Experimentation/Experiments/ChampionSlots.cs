using System.Collections.Concurrent;

namespace Verdict.Experimentation.Experiments;

/// <summary>What each champion slot serves now: the model a promotion wrote there.</summary>
public interface IChampionSlots
{
    /// <summary>The slot's champion (<c>name@version</c>), or null when no promotion has written the slot yet.</summary>
    ValueTask<string?> ChampionAsync(string slot, CancellationToken cancellationToken = default);
}

/// <summary>
/// Champion slots read from the <see cref="ExperimentStore"/> and cached: a promotion or a rollback reaches every
/// instance within <see cref="ChampionSlotsOptions.Refresh"/> (default 15 s), without a restart.
/// </summary>
/// <remarks>
/// The first call for a slot reads it. After the refresh interval, the next call starts one background read and is
/// answered from the cache meanwhile, so storage that is slow or down never holds up or fails traffic on a slot
/// already known; a failed read keeps the last champion and is tried again one interval later.
/// </remarks>
public sealed class ChampionSlots : IChampionSlots
{
    private readonly ExperimentStore _store;
    private readonly TimeSpan _refresh;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);

    /// <summary>Slots of <paramref name="store"/>, checked again every <see cref="ChampionSlotsOptions.Refresh"/>.</summary>
    public ChampionSlots(ExperimentStore store, ChampionSlotsOptions? options = null, TimeProvider? time = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        options ??= new ChampionSlotsOptions();
        options.Validate();
        _refresh = options.Refresh;
        _time = time ?? TimeProvider.System;
    }

    private sealed class Entry(string? champion, long readAt)
    {
        public string? Champion = champion;
        // UTC ticks of the last read's start.
        public long ReadAt = readAt;
        public Task? Refreshing;
    }

    /// <inheritdoc/>
    public async ValueTask<string?> ChampionAsync(string slot, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(slot);
        long now = _time.GetUtcNow().UtcTicks;
        if (!_cache.TryGetValue(slot, out var entry))
        {
            string? champion = await ReadAsync(slot, cancellationToken).ConfigureAwait(false);
            entry = _cache.GetOrAdd(slot, _ => new Entry(champion, now));
            return entry.Champion;
        }
        if (now - Volatile.Read(ref entry.ReadAt) >= _refresh.Ticks)
        {
            lock (entry)
            {
                entry.Refreshing ??= RefreshAsync(slot, entry, now);
            }
        }
        return Volatile.Read(ref entry.Champion);
    }

    /// <summary>Completes when the background read of <paramref name="slot"/> running now, if any, has (for tests).</summary>
    internal Task WhenRefreshedAsync(string slot) =>
        _cache.TryGetValue(slot, out var entry) && Volatile.Read(ref entry.Refreshing) is { } refreshing ? refreshing : Task.CompletedTask;

    private async Task RefreshAsync(string slot, Entry entry, long startedAt)
    {
        await Task.Yield();
        try
        {
            Volatile.Write(ref entry.Champion, await ReadAsync(slot, CancellationToken.None).ConfigureAwait(false));
        }
#pragma warning disable CA1031 // A failed check keeps serving the last champion; the next interval tries again.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        finally
        {
            Volatile.Write(ref entry.ReadAt, startedAt);
            lock (entry)
            {
                entry.Refreshing = null;
            }
        }
    }

    private async Task<string?> ReadAsync(string slot, CancellationToken cancellationToken) =>
        (await _store.GetSlotAsync(slot, cancellationToken).ConfigureAwait(false))?.Slot.Champion;
}

/// <summary>Options of <see cref="ChampionSlots"/>.</summary>
public sealed class ChampionSlotsOptions
{
    /// <summary>How long a slot's champion is served from the cache before it is read again (default 15 s; at most 30 s, so a promotion reaches traffic within 30 s).</summary>
    public TimeSpan Refresh { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Throws when an option is out of range.</summary>
    public void Validate()
    {
        if (Refresh <= TimeSpan.Zero || Refresh > TimeSpan.FromSeconds(30))
        {
            throw new ArgumentOutOfRangeException(nameof(Refresh), Refresh, "Refresh must be more than 0 and at most 30 seconds.");
        }
    }
}
