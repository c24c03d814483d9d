using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Events;
using Verdict.TestUtilities;

namespace Verdict.Experimentation.Tests.Events;

/// <summary>Reading the event log from a Blob prefix, against a real Azurite.</summary>
public sealed class BlobEventSourceTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Run_BlobPrefix_ReadsEveryBlobUnderItAndNothingElse()
    {
        var container = azurite.Container("events");
        await container.CreateIfNotExistsAsync();
        var log = new SyntheticLog { UnitsPerArm = 50 }.Lines().ToList();
        await container.UploadBlobAsync("exp-1/2026/11/01/00/a.jsonl", BinaryData.FromString(string.Join('\n', log.Take(100))));
        await container.UploadBlobAsync("exp-1/2026/11/01/01/b.jsonl", BinaryData.FromString(string.Join('\n', log.Skip(100))));
        await container.UploadBlobAsync("other/c.jsonl", BinaryData.FromString("garbage\n"));

        var r = await ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = ["blob://events/exp-1/"], BlobConnectionString = azurite.ConnectionString });

        Assert.Equal(2, r.Log.Sources);
        Assert.Equal(0, r.Log.MalformedLines);
        Assert.Equal(100, r.Arms.Sum(a => a.Units));
    }

    [Fact]
    public async Task Run_EmptyBlobPrefix_SaysSo()
    {
        var ex = await Assert.ThrowsAsync<EventLogException>(() =>
            ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = ["blob://events/none/"], BlobConnectionString = azurite.ConnectionString }));
        Assert.Contains("no blobs under this prefix", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_BlobPathWithoutConnectionString_NamesTheOption()
    {
        var ex = await Assert.ThrowsAsync<EventLogException>(() => ExperimentAnalysis.RunAsync(new AnalysisRequest { Events = ["blob://events/x"] }));
        Assert.Contains("--storage", ex.Message, StringComparison.Ordinal);
    }
}
