using Verdict.Experimentation.Analysis;
using Verdict.TestUtilities;

namespace Verdict.Functions.Tests;

/// <summary>Experiment analyses kept for a while and shared by the report's concurrent readers.</summary>
public sealed class ReportCacheTests
{
    private static readonly Lazy<Task<AnalysisResult>> Result = new(async () =>
    {
        using var temp = new TempDirectory();
        string file = temp.Combine("events.jsonl");
        await File.WriteAllTextAsync(file,
            """{"type":"scored","id":"s1","ts":"2026-11-22T10:15:00Z","experiment":"exp","arm":"champion","unit":"u1","model":"m@1","intent":"a","confidence":0.9,"phase":"ab"}""" + "\n");
        return await ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = [file], Experiment = "exp" });
    });

    private static ReportCache Cache(ManualTimeProvider clock, TimeSpan? maxAge = null) =>
        new(new FunctionsOptions { ReportMaxAge = maxAge ?? TimeSpan.FromMinutes(1) }, clock);

    [Fact]
    public async Task Get_CallersWhileAnAnalysisRuns_ShareItAndOneCallersCancellationStopsOnlyItsWait()
    {
        var result = await Result.Value;
        var cache = Cache(new ManualTimeProvider());
        var release = new TaskCompletionSource();
        int analyses = 0;
        async Task<AnalysisResult> Analyse()
        {
            Interlocked.Increment(ref analyses);
            await release.Task;
            return result;
        }
        using var impatient = new CancellationTokenSource();

        var waiting = Enumerable.Range(0, 10).Select(_ => cache.GetAsync("exp", Analyse, CancellationToken.None)).ToList();
        var cancelled = cache.GetAsync("exp", Analyse, impatient.Token);
        await impatient.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        release.SetResult();

        Assert.All(await Task.WhenAll(waiting), r => Assert.Same(result, r.Result));
        Assert.Equal(1, analyses);
    }

    [Fact]
    public async Task Get_AfterTheMaxAge_AnalysesAgain_AndAFailedAnalysisIsNotKept()
    {
        var result = await Result.Value;
        var clock = new ManualTimeProvider();
        var cache = Cache(clock);
        int analyses = 0;
        Task<AnalysisResult> Analyse() => Interlocked.Increment(ref analyses) == 2 ? throw new InvalidOperationException("storage failed") : Task.FromResult(result);

        var first = await cache.GetAsync("exp", Analyse, CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(first, await cache.GetAsync("exp", Analyse, CancellationToken.None));
        clock.Advance(TimeSpan.FromSeconds(2));
        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetAsync("exp", Analyse, CancellationToken.None));
        var third = await cache.GetAsync("exp", Analyse, CancellationToken.None);

        Assert.Equal(3, analyses);
        Assert.Equal(clock.GetUtcNow(), third.AsOf);
        Assert.Equal(clock.GetUtcNow() - TimeSpan.FromSeconds(61), first.AsOf);
    }
}
