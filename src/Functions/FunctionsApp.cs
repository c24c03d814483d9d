using System.Net;
using System.Security.Cryptography;
using System.Text;
using Azure.Core;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Options;
using Polly;
using Verdict.Experimentation.Events;
using Verdict.Experimentation.Experiments;
using Verdict.Scoring;
using Verdict.Scoring.Hosting;
using Verdict.Serving;

namespace Verdict.Functions;

/// <summary>
/// Builds the app. Under the Functions host it is an isolated worker: the host owns the public port and the
/// function keys, and invokes the <c>[Function]</c> classes over gRPC, HTTP through ASP.NET Core integration.
/// Anywhere else (locally, in tests, in the benchmarks) the same classes are served by a plain ASP.NET Core
/// host on 127.0.0.1, with <see cref="LocalQueueListener"/> for the queue functions and an API key demanded
/// when told to listen anywhere else. Both register the same services (<see cref="AddServices"/>).
/// </summary>
public static class FunctionsApp
{
    /// <summary>The header that carries the API key in local mode.</summary>
    public const string ApiKeyHeader = "x-api-key";

    /// <summary>
    /// Whether the Functions host started this process: it passes the worker its gRPC endpoint on the command
    /// line (<c>--functions-uri</c>, or <c>--host</c>/<c>--port</c> before) or in <c>Functions:Worker:HostEndpoint</c>.
    /// </summary>
    public static bool UnderFunctionsHost(string[] args) =>
        args.Any(a => a is "--functions-uri" or "--host" or "--functions-worker-id" or "--workerId")
        || Environment.GetEnvironmentVariable("Functions__Worker__HostEndpoint") is not null;

    /// <summary>The isolated worker, for the Functions host.</summary>
    public static IHost BuildWorker(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        builder.ConfigureFunctionsWebApplication();
        AddServices(builder.Services);
        Telemetry.AddExport(builder.Services, builder.Configuration);
        return builder.Build();
    }

    private const string BodiesKey = "bodies";

    /// <summary>The local host: the function classes on 127.0.0.1:7071 (or <c>--urls</c>) and the queue listeners.</summary>
    public static WebApplication BuildLocal(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        string urls = builder.Configuration["urls"] ?? Environment.GetEnvironmentVariable("ASPNETCORE_URLS") ?? "http://127.0.0.1:7071";
        builder.WebHost.UseUrls(urls);
        builder.Services.AddProblemDetails();
        AddServices(builder.Services);
        builder.Services.AddHostedService<LocalQueueListener>();
        builder.Services.AddHostedService<LocalAutopilot>();
        builder.Services.AddHostedService<LocalCompaction>();
        Telemetry.AddExport(builder.Services, builder.Configuration);
        configure?.Invoke(builder);

        var app = builder.Build();
        var settings = app.Services.GetRequiredService<FunctionsOptions>();
        RequireKeyBeyondLoopback(urls, settings);
        string? apiKey = settings.ApiKey;
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
        FunctionRoutes.Map(app);
        return app;
    }

    /// <summary>The services both hosts share: settings, storage, the scoring runtime, experiments, the event log, the core service, and the function classes.</summary>
    private static void AddServices(IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, Serving.ServingJson.Default);
        });
        // Validated when the host starts (either host), so a bad setting stops the app with a message naming it.
        services.AddOptions<FunctionsOptions>().BindConfiguration("Verdict").ValidateOnStart();
        services.AddSingleton<IValidateOptions<FunctionsOptions>, FunctionsOptionsValidation>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<FunctionsOptions>>().Value);
        services.AddSingleton(TimeProvider.System);
        // Tokens for an identity-based account come from a TokenCredential registered by the host, if any.
        services.AddSingleton(sp => sp.GetRequiredService<FunctionsOptions>().ResolveStorage(sp.GetRequiredService<IConfiguration>(), sp.GetService<TokenCredential>()));
        // The Scoring section tunes the runtime (execution provider, threads, refresh); models come from the app's account.
        services.AddSingleton(sp => ScoringRuntime.Create(
            sp.GetRequiredService<IConfiguration>().GetSection("Scoring").Get<ScoringOptions>() ?? new ScoringOptions(),
            sp.GetRequiredService<StorageAccount>(),
            sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton(sp => new ExperimentStore(sp.GetRequiredService<StorageAccount>().Container(ExperimentStore.DefaultContainer)));
        services.AddSingleton<IArmAssigner>(sp => new ArmAssigner(sp.GetRequiredService<ExperimentStore>(), time: sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IChampionSlots>(sp => new ChampionSlots(sp.GetRequiredService<ExperimentStore>(),
            new ChampionSlotsOptions { Refresh = sp.GetRequiredService<FunctionsOptions>().SlotRefresh }, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<FunctionsOptions>();
            return new EventLogWriter(sp.GetRequiredService<StorageAccount>().Container(options.EventContainer), time: sp.GetRequiredService<TimeProvider>());
        });
        services.AddKeyedSingleton(BodiesKey, (sp, _) => new EventLogWriter(sp.GetRequiredService<StorageAccount>().Container(sp.GetRequiredService<FunctionsOptions>().BodyContainer),
            time: sp.GetRequiredService<TimeProvider>()));
        AddGpuClient(services);
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<FunctionsOptions>();
            return new ShadowScoring(sp.GetRequiredService<ScoringRuntime>(), sp.GetRequiredService<EventLogWriter>(), options.ShadowQueueCapacity,
                options.ScoringServiceUrl is not null ? sp.GetRequiredService<GpuScoringClient>() : null, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ShadowScoring>>());
        });
        services.AddHostedService<ShadowScoringService>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<FunctionsOptions>();
            var serving = new ServingOptions
            {
                MaxEmailChars = options.MaxEmailChars,
                IdempotencyEntries = options.IdempotencyEntries,
                DefaultModel = options.DefaultModel is { } name ? ModelReference.Parse(name) : null,
                DefaultSlot = options.DefaultSlot,
                KeepBodiesForSlots = (options.KeepBodiesForSlots ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal),
                GpuService = options.ScoringServiceUrl is not null,
            };
            return new EmailService(sp.GetRequiredService<ScoringRuntime>(), sp.GetRequiredService<IArmAssigner>(), sp.GetRequiredService<EventLogWriter>(), serving,
                serving.GpuService ? sp.GetRequiredService<GpuScoringClient>() : null, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<EmailService>>(),
                sp.GetRequiredService<IChampionSlots>(), sp.GetRequiredKeyedService<EventLogWriter>(BodiesKey), sp.GetRequiredService<ShadowScoring>());
        });
        services.AddSingleton(sp => new ExperimentAutopilot(sp.GetRequiredService<ExperimentStore>(), $"log://{sp.GetRequiredService<FunctionsOptions>().EventContainer}",
            sp.GetRequiredService<StorageAccount>().Blobs, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<AutopilotFunctions>();
        services.AddSingleton(sp => new LogCompactor(sp.GetRequiredService<StorageAccount>().Container(sp.GetRequiredService<FunctionsOptions>().EventContainer),
            new LogCompactionOptions { ClosedAfter = sp.GetRequiredService<FunctionsOptions>().CompactAfter }, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<CompactionFunctions>();
        services.AddSingleton<ReportCache>();
        services.AddHostedService<ModelWarmup>();
        services.AddSingleton(sp => QueueSettings.Load(sp.GetRequiredService<FunctionsOptions>().HostJson ?? Path.Combine(AppContext.BaseDirectory, "host.json")));
        services.AddSingleton<QueueClients>();
        services.AddSingleton<QueueHandler>();
        services.AddSingleton<HttpFunctions>();
        services.AddSingleton<QueueFunctions>();
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
