using System.Collections.Concurrent;

namespace Verdict.Experimentation.Events;

/// <summary>
/// Streams Contract 1 event logs (JSON Lines) into a join by event id, then aggregates per unit and arm.
/// </summary>
/// <remarks>
/// Three stages, each its own class: <see cref="EventLineParser"/> (line → compact event), <see cref="EventJoin"/>
/// (events → one record per id, by the dedup rules) and <see cref="EventAggregation"/> (records → per-arm
/// statistics). Nothing per event is a string: a record and its index entry take about 74 bytes (peak memory of
/// a whole analysis: docs/benchmarks.md). Outcomes may come before their exposure (logs are partitioned by
/// writer and hour, not ordered): the join is completed when every source has been read.
/// <para>
/// Reading is a two-stage pipeline. The calling thread splits lines, parses, validates, hashes and interns
/// them into compact <see cref="ParsedEvent"/> batches; a thread of its own applies the batches, in order, to
/// the join while some are waiting, across sources (the end of one file does not drain the pipeline). Everything
/// the parser owns (interning, malformed-line counts) is touched by the calling thread only; everything the join
/// owns (records, the indexes, duplicate counts) by the joining thread only, and read back after waiting for it.
/// </para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The disposable fields, SemaphoreSlims, hold no handle unless their AvailableWaitHandle is asked for, which it never is.")]
internal sealed class EventLogReader
{
    private const int BatchSize = 16384, BatchesInFlight = 4, JoinIdleMilliseconds = 250;
    // An exposure and its outcome take about 330 bytes of log; a log of exposures alone, about 220.
    private const int BytesPerId = 300;

    private readonly string? _experiment;
    private readonly bool _excludeFallbacks;
    // Touched by the calling thread only.
    private readonly EventLineParser _parser;
    // Touched by the joining thread only, and read back after waiting for it.
    private readonly EventJoin _join = new();

    // The join pipeline: batches parsed and waiting (in order), batches free to fill, and how many are free.
    private readonly ConcurrentQueue<Batch> _full = new();
    private readonly ConcurrentStack<Batch> _free = new();
    private readonly SemaphoreSlim _freeBatches = new(BatchesInFlight);
    private readonly SemaphoreSlim _queued = new(0);
    private int _joining;
    private System.Runtime.ExceptionServices.ExceptionDispatchInfo? _joinFailure;

    private int _sources;

    public EventLogReader(string? experiment, DateTimeOffset? asOf, bool strict, IEnumerable<string>? positiveIntents = null, DateTimeOffset? since = null, bool excludeFallbacks = false)
    {
        _experiment = experiment;
        _excludeFallbacks = excludeFallbacks;
        _parser = new EventLineParser(experiment, asOf, since, strict, positiveIntents);
    }

    private sealed class Batch
    {
        public readonly ParsedEvent[] Events = new ParsedEvent[BatchSize];
        public int Count;
    }

    /// <summary>
    /// Sizes the join for about <paramref name="bytes"/> of log before reading it, so its indexes are not
    /// grown and re-hashed along the way (an estimate: a wrong one costs a growth or some memory, never a result).
    /// </summary>
    public void Reserve(long bytes)
    {
        WaitForJoin();
        _join.Reserve((int)Math.Clamp(bytes / BytesPerId, 0, KeyIndex.MaxKeys));
    }

    /// <summary>
    /// Parses one source on the calling thread and hands its events to the join, which runs on a pool thread
    /// while there are events to apply. The join is not waited for here, so the next source is parsed while
    /// this one's last events are joined; <see cref="Complete"/> and the other readers of the join wait for it.
    /// </summary>
    public void Read(Stream stream, string sourceName)
    {
        _sources++;
        Batch? current = null;
        try
        {
            current = TakeFreeBatch();
            JsonLines.Read(stream, (line, number) =>
            {
                if (_parser.TryParse(line, sourceName, number, ref current.Events[current.Count]) && ++current.Count == BatchSize)
                {
                    Submit(current);
                    // Not the join's batch any more, should taking the next one fail.
                    current = null;
                    current = TakeFreeBatch();
                }
            });
        }
        finally
        {
            // The last, partial batch; or, when parsing failed, the events parsed so far of a reader that is
            // being abandoned: joined either way, so that the batch comes back.
            if (current is { Count: > 0 })
            {
                Submit(current);
            }
            else if (current is not null)
            {
                _free.Push(current);
                _freeBatches.Release();
            }
        }
    }

    private Batch TakeFreeBatch()
    {
        _freeBatches.Wait();
        _joinFailure?.Throw();
        var batch = _free.TryPop(out var reused) ? reused : new Batch();
        batch.Count = 0;
        return batch;
    }

    private void Submit(Batch batch)
    {
        _full.Enqueue(batch);
        _queued.Release();
        if (Interlocked.CompareExchange(ref _joining, 1, 0) == 0)
        {
            // A thread of its own (not the pool's, which a caller blocked in Read may be starving), started
            // when batches wait and none runs; it ends after a while without work, so an abandoned reader
            // leaves no thread behind.
            _ = Task.Factory.StartNew(Join, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
    }

    /// <summary>Applies queued batches in order; at most one runs at a time.</summary>
    private void Join()
    {
        try
        {
            while (true)
            {
                if (!_queued.Wait(JoinIdleMilliseconds))
                {
                    Volatile.Write(ref _joining, 0);
                    // A batch queued after the wait gave up but before the flag was cleared started no join: take it.
                    if (_queued.CurrentCount == 0 || Interlocked.CompareExchange(ref _joining, 1, 0) != 0)
                    {
                        return;
                    }
                    continue;
                }
                _full.TryDequeue(out var batch);
                _join.Apply(batch!.Events.AsSpan(0, batch.Count));
                _free.Push(batch!);
                _freeBatches.Release();
            }
        }
        catch (Exception ex)
        {
            _joinFailure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex);
            // Wake the parser and any waiting reader of the join: they rethrow the failure.
            _freeBatches.Release(BatchesInFlight);
        }
    }

    /// <summary>Waits until every batch handed to the join has been applied; rethrows a failure of the join.</summary>
    private void WaitForJoin()
    {
        for (int i = 0; i < BatchesInFlight; i++)
        {
            _freeBatches.Wait();
        }
        _freeBatches.Release(BatchesInFlight);
        _joinFailure?.Throw();
    }

    /// <summary>Experiments with at least one exposure, in the order first seen.</summary>
    public IReadOnlyList<string> Experiments => [.. Enumerable.Range(0, _parser.Experiments.Count).Select(i => _parser.Experiments[i])];

    /// <summary>
    /// Completes the join and aggregates one experiment and phase. Without an experiment named, the log must
    /// hold exactly one; without a phase, the latest present (A/B over A/A) is taken.
    /// </summary>
    /// <param name="phase">The phase; null takes the latest.</param>
    /// <param name="partial">Whether the observations are a partial aggregate, to be merged with others (unit-level sums and handling values both kept).</param>
    public ExperimentObservations Complete(EventPhase? phase = null, bool partial = false)
    {
        WaitForJoin();
        int experiment = ResolveExperiment(out string name);
        EventPhase chosen = phase ?? LatestPhase();
        return EventAggregation.Aggregate(_join, _parser, _sources, experiment, name, chosen, _excludeFallbacks, partial);
    }

    /// <summary>
    /// The experiment's observations in <paramref name="phase"/> as if its units had been split into two arms named
    /// <paramref name="armA"/> and <paramref name="armB"/> by <paramref name="inB"/> (given each unit's key), instead of
    /// the arms the log says: what an A/A replay analyses. The log's own arms are left as they were.
    /// </summary>
    public ExperimentObservations Resplit(EventPhase phase, string armA, string armB, Func<UInt128, bool> inB)
    {
        WaitForJoin();
        int experiment = ResolveExperiment(out string name);
        short a = (short)_parser.Arms.Intern(System.Text.Encoding.UTF8.GetBytes(armA));
        short b = (short)_parser.Arms.Intern(System.Text.Encoding.UTF8.GetBytes(armB));
        var records = _join.Records;
        var original = new short[records.Count];
        for (int i = 0; i < records.Count; i++)
        {
            ref JoinRecord r = ref records[i];
            original[i] = r.Arm;
            if ((r.Flags & RecordFlags.HasExposure) != 0 && r.Experiment == experiment)
            {
                r.Arm = inB(_join.UnitKey(r.Unit)) ? b : a;
            }
        }
        try
        {
            return EventAggregation.Aggregate(_join, _parser, _sources, experiment, name, phase, _excludeFallbacks);
        }
        finally
        {
            for (int i = 0; i < records.Count; i++)
            {
                records[i].Arm = original[i];
            }
        }
    }

    /// <summary>The experiment analysed: the one named, or the log's only one.</summary>
    public string ExperimentName
    {
        get
        {
            WaitForJoin();
            ResolveExperiment(out string name);
            return name;
        }
    }

    /// <summary>The phases seen on the experiment's exposures while reading.</summary>
    public IReadOnlySet<EventPhase> PhasesOf()
    {
        WaitForJoin();
        int experiment = ResolveExperiment(out _);
        byte seen = _join.PhasesOf(experiment);
        return Enum.GetValues<EventPhase>().Where(p => (seen & (1 << (int)p)) != 0).ToHashSet();
    }

    private EventPhase LatestPhase()
    {
        var phases = PhasesOf();
        return phases.Contains(EventPhase.AB) ? EventPhase.AB : phases.Contains(EventPhase.AA) && !phases.Contains(EventPhase.Unspecified) ? EventPhase.AA : EventPhase.Unspecified;
    }

    private int ResolveExperiment(out string name)
    {
        if (_experiment is not null)
        {
            name = _experiment;
            return _parser.Experiments.IndexOf(_experiment);
        }
        if (_parser.Experiments.Count == 1)
        {
            name = _parser.Experiments[0];
            return 0;
        }
        if (_parser.Experiments.Count == 0)
        {
            throw new EventLogException("the log holds no exposures (scored or assigned events)");
        }
        throw new EventLogException("the log holds several experiments (" + string.Join(", ", Experiments) + "): choose one with --experiment");
    }
}
