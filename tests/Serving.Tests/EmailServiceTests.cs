using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Experiments;
using Verdict.Scoring;
using Verdict.Scoring.Hosting;
using Verdict.TestUtilities;

namespace Verdict.Serving.Tests;

/// <summary>Azurite with replies@1 published, and a scoring runtime over it.</summary>
public sealed class PublishedModelFixture : IAsyncLifetime
{
    public AzuriteFixture Azurite { get; } = new();

    public ScoringRuntime Runtime { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        using var temp = new TempDirectory();
        Runtime = ScoringRuntime.Create(new ScoringOptions { BlobConnectionString = Azurite.ConnectionString });
        await Runtime.Registry.PublishAsync(TestModels.CopyLinear(temp.Combine("p1"), "1"));
    }

    public Task DisposeAsync()
    {
        Runtime.Dispose();
        Azurite.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>The service on its own, with no host: typed requests in, typed results and refusals out (Azurite for models and the log).</summary>
public sealed class EmailServiceTests(PublishedModelFixture fixture) : IClassFixture<PublishedModelFixture>
{
    private EmailService Service(string log, int maxEmailChars = 100) => new(
        fixture.Runtime,
        new ArmAssigner(new ExperimentStore(new BlobContainerClient(fixture.Azurite.ConnectionString, ExperimentStore.DefaultContainer))),
        new EventLogWriter(new BlobContainerClient(fixture.Azurite.ConnectionString, log)),
        new ServingOptions { MaxEmailChars = maxEmailChars, DefaultModel = ModelReference.Parse("replies@1") },
        gpu: null, TimeProvider.System, NullLogger<EmailService>.Instance);

    private static ScoreRequest Email(string? body, string? id = null, string? model = null, string? experiment = null, string? subject = null) =>
        new(id, Unit: null, experiment, model, subject, body);

    public static TheoryData<string, ScoreRequest, ServiceErrorReason, string> Refused => new()
    {
        { "no body", Email(null), ServiceErrorReason.Invalid, "body" },
        { "empty id", Email("hi", id: ""), ServiceErrorReason.Invalid, "id" },
        { "too long", Email(new string('x', 90), subject: new string('y', 20)), ServiceErrorReason.TooLarge, "body" },
        { "bad model reference", Email("hi", model: "a@b@c"), ServiceErrorReason.Invalid, "model" },
        { "unpublished model", Email("hi", model: "ghost@1"), ServiceErrorReason.NotFound, "model" },
        { "unknown experiment", Email("hi", experiment: "ghost"), ServiceErrorReason.NotFound, "experiment" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Score_ABadRequest_IsRefusedWithItsReasonAndField(string because, ScoreRequest request, ServiceErrorReason reason, string field)
    {
        var result = await Service("log-refused").ScoreAsync([request], durable: true, CancellationToken.None);

        Assert.False(result.Succeeded, because);
        Assert.Equal((reason, field, (int?)null), (result.Error.Reason, result.Error.Field, result.Error.Item));
        Assert.Equal(field, result.Error.Path(array: false));
    }

    [Fact]
    public async Task Score_ABadItemInABatch_NamesItsIndex_AndNothingOfTheBatchIsAnswered()
    {
        var service = Service("log-batch");

        var result = await service.ScoreAsync([Email("fine", id: "b-1"), Email(null, id: "b-2")], durable: true, CancellationToken.None);
        var retried = await service.ScoreAsync([Email("fine", id: "b-1")], durable: true, CancellationToken.None);

        Assert.Equal("[1].body", result.Error!.Path(array: true));
        Assert.True(retried.Succeeded);
        Assert.Equal("b-1", JsonDocument.Parse(retried.Value[0]).RootElement.GetProperty("scoringId").GetString());
    }

    [Fact]
    public async Task Score_TheSameIdAgain_GetsTheFirstAnswerByteForByte()
    {
        var service = Service("log-repeat");

        var first = await service.ScoreAsync([Email("Send me the pricing", id: "r-1")], durable: true, CancellationToken.None);
        var again = await service.ScoreAsync([Email("Something else entirely", id: "r-1")], durable: true, CancellationToken.None);

        Assert.Equal(first.Value![0], again.Value![0]);
        Assert.Equal("replies@1", JsonDocument.Parse(first.Value[0]).RootElement.GetProperty("model").GetString());
    }

    [Theory]
    [InlineData(null, null, "trueIntent")]
    [InlineData("positive", -1.0, "handlingSeconds")]
    [InlineData("positive", double.NaN, "handlingSeconds")]
    [InlineData("", 3.0, "trueIntent")]
    public async Task RecordOutcomes_ABadOutcome_IsInvalidNamingTheField(string? trueIntent, double? handling, string field)
    {
        var result = await Service("log-outcomes").RecordOutcomesAsync([new OutcomeRequest("s-1", trueIntent, handling, null)], durable: true, CancellationToken.None);

        Assert.Equal((ServiceErrorReason.Invalid, field), (result.Error!.Reason, result.Error.Field));
    }

    [Fact]
    public async Task AssignTemplate_WithoutAUnit_IsInvalidNamingUnit_AndAnUnknownExperimentIsNotFound()
    {
        var service = Service("log-templates");

        var missing = await service.AssignTemplateAsync(new TemplateRequest("exp", null, "m-1"), durable: true, CancellationToken.None);
        var unknown = await service.AssignTemplateAsync(new TemplateRequest("ghost", "u-1", "m-1"), durable: true, CancellationToken.None);

        Assert.Equal((ServiceErrorReason.Invalid, "unit"), (missing.Error!.Reason, missing.Error.Field));
        Assert.Equal((ServiceErrorReason.NotFound, "experiment"), (unknown.Error!.Reason, unknown.Error.Field));
    }
}
