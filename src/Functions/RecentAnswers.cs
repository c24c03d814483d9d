using System.Collections.Concurrent;

namespace Verdict.Functions;

/// <summary>
/// The answers given to the most recent ids, so that a repeated call gets the same answer. Bounded by
/// count in two generations: when the current one holds half the capacity it becomes the previous one and
/// the oldest generation is dropped whole. So the last <c>capacity / 2</c> ids are always remembered and
/// never more than <c>capacity</c>, at O(1) per call with no scan or sort of the entries (a size-limited
/// MemoryCache sorts all of them on every compaction once full, which at a million emails a day is
/// always).
/// </summary>
internal sealed class RecentAnswers<T>(int capacity) where T : class
{
    private readonly int _generationSize = Math.Max(1, capacity / 2);
    private readonly Lock _rotation = new();
    private volatile Generation _current = new();
    private volatile Generation _previous = new();

    public T? Get(string id) =>
        _current.Answers.TryGetValue(id, out var answer) || _previous.Answers.TryGetValue(id, out answer) ? answer : null;

    public void Set(string id, T answer)
    {
        var current = _current;
        if (!current.Answers.TryAdd(id, answer))
        {
            current.Answers[id] = answer;
            return;
        }
        // Counted here, not with ConcurrentDictionary.Count, which takes every one of its locks (measured:
        // a fifth of the app's CPU under load).
        if (Interlocked.Increment(ref current.Count) >= _generationSize)
        {
            lock (_rotation)
            {
                if (ReferenceEquals(current, _current))
                {
                    _previous = current;
                    _current = new Generation();
                }
            }
        }
    }

    private sealed class Generation
    {
        public readonly ConcurrentDictionary<string, T> Answers = new(StringComparer.Ordinal);
        public int Count;
    }
}
