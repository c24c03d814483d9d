using System.Collections.Concurrent;
using System.Text.Json;
using Verdict.Scoring;
using Verdict.Scoring.Batching;
using Verdict.Scoring.Hosting;

namespace Verdict.ScoringService;

/// <summary>Settings of the scoring service (configuration section <c>ScoringService</c>).</summary>
public sealed class ScoringServiceOptions
{
    /// <summary>Most texts one request may carry.</summary>
    public int MaxTextsPerRequest { get; set; } = 256;

    /// <summary>Longest text, in characters.</summary>
    public int MaxTextChars { get; set; } = 20_000;

    /// <summary>How concurrent requests are gathered into one session run per model.</summary>
    public MicroBatcherOptions Batching { get; set; } = new() { MaxBatchSize = 64, MaxWait = TimeSpan.FromMilliseconds(2) };
}

/// <summary>One scored text.</summary>
internal sealed record TextScore(string Intent, double Confidence, IReadOnlyDictionary<string, double> Probabilities);

/// <summary>The answer to <c>POST /score/batch</c>.</summary>
internal sealed record BatchResponse(string Model, IReadOnlyList<TextScore> Results);

/// <summary>
/// The scoring library behind a minimal HTTP API, for the GPU Container App: <c>POST /score/batch</c>,
/// <c>GET /health</c>, <c>GET /models</c>. Concurrent requests for one model are gathered by a
/// <see cref="MicroBatcher{TIn, TOut}"/> into one session run, because a GPU session runs one stream at a
/// time. The execution provider comes from <c>Scoring:ExecutionProvider</c> (<c>cuda-or-cpu</c> on the GPU
/// image: CUDA, or the CPU when the build or the machine has none).
/// </summary>
public static class ScoringServiceApp
{
    /// <summary>Builds the service, ready to run.</summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton(sp =>
        {
            var options = new ScoringOptions();
            sp.GetRequiredService<IConfiguration>().GetSection("Scoring").Bind(options);
            if (!options.HasModelSource)
            {
                options.BlobConnectionString = Environment.GetEnvironmentVariable("VERDICT_STORAGE_CONNECTION_STRING");
            }
            return ScoringRuntime.Create(options, sp.GetRequiredService<ILoggerFactory>());
        });
        builder.Services.AddSingleton(sp =>
        {
            var options = new ScoringServiceOptions();
            sp.GetRequiredService<IConfiguration>().GetSection("ScoringService").Bind(options);
            options.Batching.Validate();
            return options;
        });
        builder.Services.AddSingleton<Batchers>();
        var app = builder.Build();
        app.UseExceptionHandler();

        app.MapGet("/health", (ScoringRuntime runtime) => Results.Ok(new { status = "ok", executionProvider = runtime.ExecutionProvider.ToString().ToLowerInvariant() }));

        app.MapGet("/models", async (ScoringRuntime runtime, CancellationToken ct) =>
            Results.Ok((await runtime.Registry.ListAsync(ct).ConfigureAwait(false))
                .Select(m => new { model = m.Reference.ToString(), target = m.Manifest.Target, labels = m.Manifest.Labels })));

        app.MapPost("/score/batch", async (HttpRequest request, Batchers batchers, ScoringServiceOptions options, CancellationToken ct) =>
        {
            JsonDocument document;
            try
            {
                document = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct).ConfigureAwait(false);
            }
            catch (JsonException)
            {
                return Problem("$", "the body is not valid JSON");
            }
            using var parsed = document;
            var body = document.RootElement;
            if (body.ValueKind != JsonValueKind.Object)
            {
                return Problem("$", "send {\"model\": \"name@version\", \"texts\": [...]}");
            }
            if (!body.TryGetProperty("model", out var modelField) || modelField.ValueKind != JsonValueKind.String || !ModelReference.TryParse(modelField.GetString()!, out var model))
            {
                return Problem("model", "model must be name or name@version");
            }
            if (!body.TryGetProperty("texts", out var textsField) || textsField.ValueKind != JsonValueKind.Array || textsField.GetArrayLength() == 0)
            {
                return Problem("texts", "texts must be a non-empty array of strings");
            }
            if (textsField.GetArrayLength() > options.MaxTextsPerRequest)
            {
                return Problem("texts", $"at most {options.MaxTextsPerRequest} texts per request", StatusCodes.Status413PayloadTooLarge);
            }
            var texts = new List<string>(textsField.GetArrayLength());
            foreach (var t in textsField.EnumerateArray())
            {
                if (t.ValueKind != JsonValueKind.String || t.GetString()!.Length > options.MaxTextChars)
                {
                    return Problem($"texts[{texts.Count}]", $"each text must be a string of at most {options.MaxTextChars} characters");
                }
                texts.Add(t.GetString()!);
            }
            try
            {
                var batcher = batchers.For(model);
                var scores = await Task.WhenAll(texts.Select(t => batcher.RunAsync(t, ct).AsTask())).ConfigureAwait(false);
                return Results.Ok(new BatchResponse(scores[0].Model.ToString(), [.. scores.Select(ToText)]));
            }
            catch (ScoringException ex) when (ex.Error == ScoringError.ModelNotFound)
            {
                return Problem("model", $"model '{model}' is not published", StatusCodes.Status404NotFound);
            }
        });
        return app;
    }

    private static TextScore ToText(IntentScore s)
    {
        var probabilities = new Dictionary<string, double>(s.Labels.Count, StringComparer.Ordinal);
        for (int k = 0; k < s.Labels.Count; k++)
        {
            probabilities[s.Labels[k]] = s.Probabilities[k];
        }
        return new TextScore(s.Label, s.Confidence, probabilities);
    }

    private static IResult Problem(string field, string message, int status = StatusCodes.Status400BadRequest) =>
        Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, statusCode: status);
}

/// <summary>One micro-batcher per model reference, created on first use.</summary>
internal sealed class Batchers(ScoringRuntime runtime, ScoringServiceOptions options) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<MicroBatcher<string, IntentScore>>> _byModel = new(StringComparer.Ordinal);

    public MicroBatcher<string, IntentScore> For(ModelReference model) =>
        _byModel.GetOrAdd(model.ToString(), _ => new Lazy<MicroBatcher<string, IntentScore>>(() => new MicroBatcher<string, IntentScore>(
            async (texts, ct) => await runtime.Scorer.ScoreBatchAsync(model, texts, ct).ConfigureAwait(false),
            options.Batching))).Value;

    public async ValueTask DisposeAsync()
    {
        foreach (var batcher in _byModel.Values.Where(l => l.IsValueCreated))
        {
            await batcher.Value.DisposeAsync().ConfigureAwait(false);
        }
    }
}
