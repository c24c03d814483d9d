using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Experiments;
using Verdict.Scoring.Hosting;
using Verdict.Serving;

namespace Verdict.Functions;

/// <summary>
/// The HTTP functions of Contract 4, thin adapters over <see cref="EmailService"/>: each reads its body, maps the
/// JSON to the service's request record, calls the service once and maps its result to a response (problem
/// details naming the field for a refusal). The Functions host routes to them through ASP.NET Core integration;
/// locally <see cref="FunctionRoutes"/> maps the same methods.
/// </summary>
internal sealed class HttpFunctions(EmailService service, FunctionsOptions options, ExperimentStore store, ScoringRuntime scoring, StorageAccount storage, ReportCache reports)
{
    [Function("hello")]
#pragma warning disable CA1822 // a function method: the host calls it on an instance of its class
    public IActionResult Hello([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "hello")] HttpRequest request) =>
        new Edge(Results.Text("hello"));
#pragma warning restore CA1822

    [Function("score")]
    public Task<IActionResult> Score([HttpTrigger(AuthorizationLevel.Function, "post", Route = "score")] HttpRequest request, CancellationToken cancellationToken) =>
        Edge.RunAsync(async () =>
        {
            using var body = await RequestReader.ReadAsync(request, options.MaxRequestBytes, cancellationToken).ConfigureAwait(false);
            var answers = await service.ScoreAsync([RequestReader.Score(RequestReader.Object(body.Root), "")], options.DurableHttpLogging, cancellationToken).ConfigureAwait(false);
            return new JsonBytes(RequestProblem.ValueOf(answers, array: false)[0]);
        });

    [Function("score-batch")]
    public Task<IActionResult> ScoreBatch([HttpTrigger(AuthorizationLevel.Function, "post", Route = "score/batch")] HttpRequest request, CancellationToken cancellationToken) =>
        Edge.RunAsync(async () =>
        {
            using var body = await RequestReader.ReadAsync(request, options.MaxRequestBytes, cancellationToken).ConfigureAwait(false);
            if (body.Root.ValueKind != JsonValueKind.Array)
            {
                throw new RequestProblem("$", "send a JSON array of emails");
            }
            var emails = RequestReader.ObjectOrArray(body.Root, options.MaxBatch).ConvertAll(e => RequestReader.Score(e.Item, e.Path));
            var answers = await service.ScoreAsync(emails, options.DurableHttpLogging, cancellationToken).ConfigureAwait(false);
            return new JsonBytes(JsonArray(RequestProblem.ValueOf(answers, array: true)));
        });

    [Function("outcomes")]
    public Task<IActionResult> Outcomes([HttpTrigger(AuthorizationLevel.Function, "post", Route = "outcomes")] HttpRequest request, CancellationToken cancellationToken) =>
        Edge.RunAsync(async () =>
        {
            using var body = await RequestReader.ReadAsync(request, options.MaxRequestBytes, cancellationToken).ConfigureAwait(false);
            var outcomes = RequestReader.ObjectOrArray(body.Root, options.MaxBatch).ConvertAll(o => RequestReader.Outcome(o.Item, o.Path));
            var recorded = await service.RecordOutcomesAsync(outcomes, options.DurableHttpLogging, cancellationToken).ConfigureAwait(false);
            return Results.Accepted(value: new { recorded = RequestProblem.ValueOf(recorded, body.Root.ValueKind == JsonValueKind.Array) });
        });

    [Function("templates-assign")]
    public Task<IActionResult> AssignTemplate([HttpTrigger(AuthorizationLevel.Function, "post", Route = "templates/assign")] HttpRequest request, CancellationToken cancellationToken) =>
        Edge.RunAsync(async () =>
        {
            using var body = await RequestReader.ReadAsync(request, options.MaxRequestBytes, cancellationToken).ConfigureAwait(false);
            var assigned = await service.AssignTemplateAsync(RequestReader.Template(RequestReader.Object(body.Root)), options.DurableHttpLogging, cancellationToken).ConfigureAwait(false);
            return Results.Ok(RequestProblem.ValueOf(assigned, array: false));
        });

    [Function("replies")]
    public Task<IActionResult> Replies([HttpTrigger(AuthorizationLevel.Function, "post", Route = "replies")] HttpRequest request, CancellationToken cancellationToken) =>
        Edge.RunAsync(async () =>
        {
            using var body = await RequestReader.ReadAsync(request, options.MaxRequestBytes, cancellationToken).ConfigureAwait(false);
            var reply = await service.RecordReplyAsync(RequestReader.Reply(RequestReader.Object(body.Root)), options.DurableHttpLogging, cancellationToken).ConfigureAwait(false);
            return Results.Ok(RequestProblem.ValueOf(reply, array: false));
        });

    [Function("report")]
    public Task<IActionResult> Report([HttpTrigger(AuthorizationLevel.Function, "get", Route = "experiments/{id}/report")] HttpRequest request, string id, CancellationToken cancellationToken) =>
        Edge.RunAsync(async () =>
        {
            string? format = request.Query["format"];
            if (format is not (null or "json" or "md" or "html"))
            {
                throw new RequestProblem("format", "format must be json, md or html");
            }
            var definition = (await store.GetAsync(id, cancellationToken).ConfigureAwait(false))?.Definition
                ?? throw new RequestProblem("id", $"there is no experiment '{id}'", StatusCodes.Status404NotFound);
            AnalysisResult result;
            try
            {
                // Shared by whoever opens the report meanwhile, so no one caller's cancellation stops it.
                (result, var asOf) = await reports.GetAsync(id, () => ExperimentAnalysis.RunAsync(AnalysisRequest.For(definition, [$"log://{options.EventContainer}"]) with
                {
                    BlobService = storage.Blobs,
                }, CancellationToken.None), cancellationToken).ConfigureAwait(false);
                request.HttpContext.Response.Headers.LastModified = asOf.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (EventLogException ex)
            {
                throw new RequestProblem("id", ex.Message, StatusCodes.Status404NotFound);
            }
            result = result with { Lifecycle = ExperimentAutopilot.Timeline(definition, await store.ListAuditAsync(id, cancellationToken).ConfigureAwait(false)) };
            return format switch
            {
                "md" => Results.Text(AnalysisFormats.ToMarkdown(result), "text/markdown; charset=utf-8"),
                "html" => Results.Text(Reports.HtmlReport.Render(result, models: await Reports.OfflineMetricsReader.ReadAsync(scoring.Registry, result, cancellationToken).ConfigureAwait(false)), "text/html; charset=utf-8"),
                _ => Results.Text(AnalysisFormats.ToJson(result), "application/json; charset=utf-8"),
            };
        });

    /// <summary>A JSON array of answers already serialized.</summary>
    private static byte[] JsonArray(byte[][] items) => JsonBytes.Write(writer =>
    {
        writer.WriteStartArray();
        foreach (var item in items)
        {
            writer.WriteRawValue(item, skipInputValidation: true);
        }
        writer.WriteEndArray();
    });
}
