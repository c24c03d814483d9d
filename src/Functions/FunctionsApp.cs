using Azure.Core;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Polly;
using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Experiments;
using Verdict.Scoring;
using Verdict.Scoring.Hosting;

namespace Verdict.Functions;

/// <summary>
/// Builds the app: in Azure a custom handler behind the Functions host (which owns the public port and the
/// function keys, and forwards to <c>FUNCTIONS_CUSTOMHANDLER_PORT</c> on loopback); locally a stand-alone
/// server on 127.0.0.1 that demands an API key when told to listen anywhere else.
/// </summary>
public static class FunctionsApp
{
    /// <summary>The header that carries the API key.</summary>
    public const string ApiKeyHeader = "x-api-key";

    /// <summary>Builds the configured app, ready to run.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        string? handlerPort = Environment.GetEnvironmentVariable("FUNCTIONS_CUSTOMHANDLER_PORT");
        string urls = handlerPort is not null
            ? $"http://127.0.0.1:{handlerPort}"
            : builder.Configuration["urls"] ?? Environment.GetEnvironmentVariable("ASPNETCORE_URLS") ?? "http://127.0.0.1:7071";
        builder.WebHost.UseUrls(urls);
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, FunctionsJson.Default);
        });
        builder.Services.AddSingleton(sp =>
        {
            var options = new FunctionsOptions();
            sp.GetRequiredService<IConfiguration>().GetSection("Verdict").Bind(options);
            options.Validate();
            return options;
        });
        builder.Services.AddSingleton(TimeProvider.System);
        // Tokens for an identity-based account come from a TokenCredential registered by the host, if any.
        builder.Services.AddSingleton(sp => sp.GetRequiredService<FunctionsOptions>().ResolveStorage(sp.GetRequiredService<IConfiguration>(), sp.GetService<TokenCredential>()));
        // The Scoring section tunes the runtime (execution provider, threads, refresh); models come from the app's account.
        builder.Services.AddSingleton(sp => ScoringRuntime.Create(
            sp.GetRequiredService<IConfiguration>().GetSection("Scoring").Get<ScoringOptions>() ?? new ScoringOptions(),
            sp.GetRequiredService<StorageAccount>(),
            sp.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddSingleton(sp => sp.GetRequiredService<ScoringRuntime>().Scorer);
        builder.Services.AddSingleton(sp => new ExperimentStore(sp.GetRequiredService<StorageAccount>().Container(ExperimentStore.DefaultContainer)));
        builder.Services.AddSingleton<IArmAssigner>(sp => new ArmAssigner(sp.GetRequiredService<ExperimentStore>(), time: sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<FunctionsOptions>();
            return new EventLogWriter(sp.GetRequiredService<StorageAccount>().Container(options.EventContainer), time: sp.GetRequiredService<TimeProvider>());
        });
        builder.Services.AddSingleton<EmailService>();
        builder.Services.AddSingleton<ModelTargets>();
        builder.Services.AddSingleton<ReportCache>();
        AddGpuClient(builder.Services);
        builder.Services.AddSingleton(sp => QueueSettings.Load(sp.GetRequiredService<FunctionsOptions>().HostJson ?? Path.Combine(AppContext.BaseDirectory, "host.json")));
        builder.Services.AddSingleton<QueueClients>();
        builder.Services.AddSingleton<QueueFunctions>();
        if (handlerPort is null)
        {
            builder.Services.AddHostedService<LocalQueueListener>();
        }
        Telemetry.AddExport(builder.Services, builder.Configuration);
        configure?.Invoke(builder);

        var app = builder.Build();
        var settings = app.Services.GetRequiredService<FunctionsOptions>();
        RequireKeyBeyondLoopback(urls, settings);
        // Under the Functions host, function keys guard the public endpoint and the host's own calls carry no API key.
        string? apiKey = handlerPort is null ? settings.ApiKey : null;
        app.UseExceptionHandler();
        app.Use(async (context, next) =>
        {
            if (apiKey is { } key && !KeyMatches(context.Request.Headers[ApiKeyHeader].ToString(), key))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                await Results.Problem(statusCode: 401, title: "An API key is required.", detail: $"send it in the {ApiKeyHeader} header").ExecuteAsync(context).ConfigureAwait(false);
                return;
            }
            await next(context).ConfigureAwait(false);
        });
        MapRoutes(app);
        HostInvocation.Map(app);
        return app;
    }

    /// <summary>
    /// The GPU service's HTTP client: within <c>GpuTimeout</c> in all, up to two retries with jittered
    /// exponential back-off on transient failures (5xx, 408, 429, connection errors, attempt timeouts), and a
    /// circuit that opens when half of at least four calls in ten seconds fail, for <c>GpuBreakDuration</c>.
    /// </summary>
    private static void AddGpuClient(IServiceCollection services)
    {
        services.AddHttpClient<GpuScoringClient>((sp, client) =>
        {
            var options = sp.GetRequiredService<FunctionsOptions>();
            client.BaseAddress = new Uri(options.ScoringServiceUrl is { } url ? url.TrimEnd('/') + "/" : "http://gpu-scoring.invalid/");
            client.Timeout = Timeout.InfiniteTimeSpan;
        }).AddResilienceHandler("gpu", (pipeline, context) =>
        {
            var options = context.ServiceProvider.GetRequiredService<FunctionsOptions>();
            pipeline.AddTimeout(options.GpuTimeout);
            pipeline.AddRetry(new Microsoft.Extensions.Http.Resilience.HttpRetryStrategyOptions
            {
                MaxRetryAttempts = 2,
                Delay = TimeSpan.FromMilliseconds(25),
                BackoffType = Polly.DelayBackoffType.Exponential,
                UseJitter = true,
            });
            pipeline.AddCircuitBreaker(new Microsoft.Extensions.Http.Resilience.HttpCircuitBreakerStrategyOptions
            {
                FailureRatio = 0.5,
                MinimumThroughput = 4,
                SamplingDuration = TimeSpan.FromSeconds(10),
                BreakDuration = options.GpuBreakDuration,
            });
            pipeline.AddTimeout(options.GpuTimeout / 2);
        });
    }

    private static void MapRoutes(WebApplication app)
    {
        app.MapGet("/api/hello", () => Results.Text("hello"));

        app.MapPost("/api/score", (HttpRequest request, EmailService service, FunctionsOptions options, CancellationToken ct) => Handle(async () =>
        {
            using var body = await RequestReader.ReadAsync(request, options.MaxRequestBytes, ct).ConfigureAwait(false);
            return new JsonBytes((await service.ScoreAsync([(RequestReader.Object(body.Root), "")], options.DurableHttpLogging, ct).ConfigureAwait(false))[0]);
        }));

        app.MapPost("/api/score/batch", (HttpRequest request, EmailService service, FunctionsOptions options, CancellationToken ct) => Handle(async () =>
        {
            using var body = await RequestReader.ReadAsync(request, options.MaxRequestBytes, ct).ConfigureAwait(false);
            if (body.Root.ValueKind != System.Text.Json.JsonValueKind.Array)
            {
                throw new RequestProblem("$", "send a JSON array of emails");
            }
            return new JsonBytes(JsonArray(await service.ScoreAsync(RequestReader.ObjectOrArray(body.Root, options.MaxBatch), options.DurableHttpLogging, ct).ConfigureAwait(false)));
        }));

        app.MapPost("/api/outcomes", (HttpRequest request, EmailService service, FunctionsOptions options, CancellationToken ct) => Handle(async () =>
        {
            using var body = await RequestReader.ReadAsync(request, options.MaxRequestBytes, ct).ConfigureAwait(false);
            int count = await service.RecordOutcomesAsync(RequestReader.ObjectOrArray(body.Root, options.MaxBatch), options.DurableHttpLogging, ct).ConfigureAwait(false);
            return Results.Accepted(value: new { recorded = count });
        }));

        app.MapPost("/api/templates/assign", (HttpRequest request, EmailService service, FunctionsOptions options, CancellationToken ct) => Handle(async () =>
        {
            using var body = await RequestReader.ReadAsync(request, options.MaxRequestBytes, ct).ConfigureAwait(false);
            return Results.Ok(await service.AssignTemplateAsync(RequestReader.Object(body.Root), options.DurableHttpLogging, ct).ConfigureAwait(false));
        }));

        app.MapPost("/api/replies", (HttpRequest request, EmailService service, FunctionsOptions options, CancellationToken ct) => Handle(async () =>
        {
            using var body = await RequestReader.ReadAsync(request, options.MaxRequestBytes, ct).ConfigureAwait(false);
            return Results.Ok(await service.RecordReplyAsync(RequestReader.Object(body.Root), options.DurableHttpLogging, ct).ConfigureAwait(false));
        }));

        app.MapGet("/api/experiments/{id}/report", (string id, string? format, HttpResponse response, ExperimentStore store, ScoringRuntime scoring, StorageAccount storage,
            FunctionsOptions options, ReportCache reports, CancellationToken ct) => Handle(async () =>
        {
            if (format is not (null or "json" or "md" or "html"))
            {
                throw new RequestProblem("format", "format must be json, md or html");
            }
            var definition = (await store.GetAsync(id, ct).ConfigureAwait(false))?.Definition
                ?? throw new RequestProblem("id", $"there is no experiment '{id}'", StatusCodes.Status404NotFound);
            AnalysisResult result;
            try
            {
                // Shared by whoever opens the report meanwhile, so no one caller's cancellation stops it.
                (result, var asOf) = await reports.GetAsync(id, () => ExperimentAnalysis.RunAsync(new AnalysisRequest
                {
                    Events = [$"log://{options.EventContainer}"],
                    Experiment = id,
                    Alpha = definition.Alpha,
                    Weights = definition.Arms.ToDictionary(a => a.Name, a => a.Weight),
                    PlannedUnits = definition.PlannedUnitsPerArm > 0 ? definition.PlannedUnitsPerArm * definition.Arms.Count : null,
                    Control = definition.ControlArm,
                    BlobService = storage.Blobs,
                }, CancellationToken.None), ct).ConfigureAwait(false);
                response.Headers.LastModified = asOf.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (EventLogException ex)
            {
                throw new RequestProblem("id", ex.Message, StatusCodes.Status404NotFound);
            }
            return format switch
            {
                "md" => Results.Text(AnalysisFormats.ToMarkdown(result), "text/markdown; charset=utf-8"),
                "html" => Results.Text(Reports.HtmlReport.Render(result, models: await Reports.OfflineMetricsReader.ReadAsync(scoring.Registry, result, ct).ConfigureAwait(false)), "text/html; charset=utf-8"),
                _ => Results.Text(AnalysisFormats.ToJson(result), "application/json; charset=utf-8"),
            };
        }));
    }

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

    private static async Task<IResult> Handle(Func<ValueTask<IResult>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (RequestProblem problem)
        {
            return problem.ToResult();
        }
        catch (BadHttpRequestException bad)
        {
            // The body stopped short of its Content-Length, or the client went away mid-request: the client's fault, said as such.
            return new RequestProblem("$", bad.Message, bad.StatusCode).ToResult();
        }
    }

    private static bool KeyMatches(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));

    /// <summary>Refuses to start on a non-loopback address without an API key.</summary>
    private static void RequireKeyBeyondLoopback(string urls, FunctionsOptions options)
    {
        if (options.ApiKey is not null)
        {
            return;
        }
        foreach (string url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            string host = url.Split("://").Last().Split(':')[0].Trim('[', ']');
            bool loopback = host == "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
            if (!loopback)
            {
                throw new InvalidOperationException($"the app would listen on {url} without an API key: set Verdict:ApiKey (sent in {ApiKeyHeader}) or listen on 127.0.0.1");
            }
        }
    }
}
