using Verdict.Scoring.Hosting;
using Verdict.Scoring.Registry;
using Verdict.TestUtilities;

namespace Verdict.Scoring.Tests.Registry;

/// <summary>The registry's contract, run against each store (a local folder and Blob storage on Azurite).</summary>
public abstract class RegistryBehaviour : IDisposable
{
    private readonly List<ScoringRuntime> _runtimes = [];

    protected TempDirectory Temp { get; } = new();

    protected ManualTimeProvider Clock { get; } = new();

    /// <summary>A store over the same underlying storage each call (as another process would see it).</summary>
    private protected abstract IModelStore CreateStore();

    /// <summary>Overwrites one file of a published version behind the registry's back.</summary>
    protected abstract Task CorruptAsync(string name, string version, string file, byte[] content);

    private protected ScoringRuntime NewRuntime(IModelStore? store = null)
    {
        var runtime = ScoringRuntime.Create(store ?? CreateStore(), new ScoringOptions { LocalPath = "unused", LatestVersionRefreshInterval = TimeSpan.FromSeconds(30) }, Clock);
        _runtimes.Add(runtime);
        return runtime;
    }

    private string Package(string version) => TestModels.CopyLinear(Temp.Combine("packages", version), version);

    [Fact]
    public async Task Publish_Package_IsListedAndServed()
    {
        var runtime = NewRuntime();
        var info = await runtime.Registry.PublishAsync(Package("1"));
        Assert.Equal("replies@1", info.Reference.ToString());
        var listed = Assert.Single(await runtime.Registry.ListAsync());
        Assert.Equal("replies", listed.Name);
        Assert.NotNull(listed.Manifest.Metrics);
        var score = await runtime.Scorer.ScoreAsync(ModelReference.Parse("replies"), "Unsubscribe me");
        Assert.Equal("replies@1", score.Model);
    }

    [Fact]
    public async Task Publish_SameVersionTwice_ThrowsVersionExists()
    {
        var runtime = NewRuntime();
        await runtime.Registry.PublishAsync(Package("1"));
        var error = await Assert.ThrowsAsync<ScoringException>(() => NewRuntime().Registry.PublishAsync(Package("1")));
        Assert.Equal(ScoringError.VersionExists, error.Error);
    }

    [Fact]
    public async Task Publish_NewVersionWhileBatchInFlight_BatchCompletesOnOldAndNextRequestGetsNew()
    {
        var runtime = NewRuntime();
        await runtime.Registry.PublishAsync(Package("1"));
        var registry = (ModelRegistry)runtime.Registry;
        var texts = Enumerable.Range(0, 200).Select(i => $"message {i}: please send pricing").ToArray();

        // A batch holds its lease on v1 from resolution to completion.
        var inFlight = await registry.AcquireAsync(ModelReference.Parse("replies"), default);
        var running = Task.Run(() => inFlight.Score(texts));
        await runtime.Registry.PublishAsync(Package("2"));
        var batch = await running;
        var again = inFlight.Score(texts); // still usable after the new version went live
        inFlight.Release();

        Assert.All(batch.Concat(again), s => Assert.Equal("replies@1", s.Model));
        Assert.Equal("replies@2", (await runtime.Scorer.ScoreAsync(ModelReference.Parse("replies"), "hi")).Model);
        Assert.Equal("replies@1", (await runtime.Scorer.ScoreAsync(ModelReference.Parse("replies@1"), "hi")).Model);
    }

    [Fact]
    public async Task Acquire_VersionIdleForTheTimeout_IsUnloadedWhenItsLastCallEnds_AndLoadsAgainWhenAskedFor()
    {
        var runtime = NewRuntime();
        await runtime.Registry.PublishAsync(Package("1"));
        await runtime.Registry.PublishAsync(Package("2"));
        var registry = (ModelRegistry)runtime.Registry;
        var held = await registry.AcquireAsync(ModelReference.Parse("replies@1"), default);

        Clock.Advance(new ScoringOptions().IdleModelTimeout + TimeSpan.FromMinutes(1));
        Assert.Equal("replies@2", (await runtime.Scorer.ScoreAsync(ModelReference.Parse("replies@2"), "hi")).Model);

        Assert.Equal(["replies@2"], registry.LoadedVersions);
        Assert.False(held.IsDisposed);
        Assert.Equal("replies@1", held.Score(["a call that began before the version went idle"])[0].Model);
        held.Release();
        Assert.True(held.IsDisposed);
        Assert.Equal("replies@1", (await runtime.Scorer.ScoreAsync(ModelReference.Parse("replies@1"), "hi")).Model);
        Assert.Equal(["replies@1", "replies@2"], registry.LoadedVersions);
    }

    [Fact]
    public async Task Publish_FromAnotherProcess_IsServedAfterTheRefreshInterval()
    {
        var publisher = NewRuntime();
        var server = NewRuntime();
        await publisher.Registry.PublishAsync(Package("1"));
        Assert.Equal("replies@1", (await server.Scorer.ScoreAsync(ModelReference.Parse("replies"), "hi")).Model);

        await publisher.Registry.PublishAsync(Package("2"));
        Assert.Equal("replies@1", (await server.Scorer.ScoreAsync(ModelReference.Parse("replies"), "hi")).Model);
        Clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal("replies@2", (await server.Scorer.ScoreAsync(ModelReference.Parse("replies"), "hi")).Model);
    }

    [Fact]
    public async Task CorruptedNewVersion_TypedErrorAndPreviousVersionKeepsServing()
    {
        var publisher = NewRuntime();
        await publisher.Registry.PublishAsync(Package("1"));
        await publisher.Registry.PublishAsync(Package("2"));
        await CorruptAsync("replies", "2", "model.onnx", [1, 2, 3, 4]);

        var server = NewRuntime();
        Assert.Equal("replies@1", (await server.Scorer.ScoreAsync(ModelReference.Parse("replies"), "hi")).Model);
        var error = await Assert.ThrowsAsync<ScoringException>(async () => await server.Scorer.ScoreAsync(ModelReference.Parse("replies@2"), "hi"));
        Assert.Equal(ScoringError.ChecksumMismatch, error.Error);
    }

    [Fact]
    public async Task ConcurrentFirstRequests_LoadTheModelOnce()
    {
        await NewRuntime().Registry.PublishAsync(Package("1"));
        var counting = new CountingStore(CreateStore());
        var server = NewRuntime(counting);
        var scores = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Task.Run(async () => await server.Scorer.ScoreAsync(ModelReference.Parse("replies@1"), $"text {i}"))));
        Assert.All(scores, s => Assert.Equal("replies@1", s.Model));
        Assert.Equal(1, counting.OnnxReads);
    }

    public void Dispose()
    {
        foreach (var runtime in _runtimes)
        {
            runtime.Dispose();
        }
        Temp.Dispose();
        GC.SuppressFinalize(this);
    }

    private sealed class CountingStore(IModelStore inner) : IModelStore
    {
        private int _onnxReads;

        public int OnnxReads => _onnxReads;

        public string Description => inner.Description;

        public Task<IReadOnlyList<string>> ListModelsAsync(CancellationToken cancellationToken) => inner.ListModelsAsync(cancellationToken);

        public Task<IReadOnlyList<string>> ListVersionsAsync(string name, CancellationToken cancellationToken) => inner.ListVersionsAsync(name, cancellationToken);

        public async Task<byte[]?> ReadFileAsync(string name, string version, string file, CancellationToken cancellationToken)
        {
            if (file == "model.onnx")
            {
                Interlocked.Increment(ref _onnxReads);
                await Task.Delay(50, cancellationToken); // widen the race window
            }
            return await inner.ReadFileAsync(name, version, file, cancellationToken);
        }

        public Task WriteVersionAsync(string name, string version, IEnumerable<KeyValuePair<string, byte[]>> files, CancellationToken cancellationToken) =>
            inner.WriteVersionAsync(name, version, files, cancellationToken);
    }
}
