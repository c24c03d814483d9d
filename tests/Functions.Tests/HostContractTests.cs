using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Verdict.TestUtilities;

namespace Verdict.Functions.Tests;

/// <summary>
/// What the Functions host reads (host.json, worker.config.json, and the functions.metadata the worker SDK
/// generates from the <c>[Function]</c> attributes) agrees with what the local host serves from the same classes.
/// </summary>
public sealed class HostContractTests
{
    /// <summary>The Functions app's own build output, where the worker SDK writes what the host reads.</summary>
    private static readonly string AppDirectory = Path.GetDirectoryName(RepositoryPaths.BuiltProgram("Functions"))!;

    private static WebApplicationFactory<Program> App(params (string Key, string Value)[] settings) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("Verdict:StorageConnectionString", "UseDevelopmentStorage=true");
            b.UseSetting("Verdict:LocalQueues", "false");
            foreach (var (key, value) in settings)
            {
                b.UseSetting(key, value);
            }
        });

    /// <summary>The functions the worker SDK generated from the <c>[Function]</c> attributes: what the Functions host reads.</summary>
    private static IEnumerable<(string Name, JsonElement Bindings)> Functions() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppDirectory, "functions.metadata"))).RootElement.EnumerateArray()
            .Select(f => (f.GetProperty("name").GetString()!, f.GetProperty("bindings").Clone()));

    /// <summary>Every (method, route) the local host answers, as "POST api/score".</summary>
    private static HashSet<string> AppRoutes()
    {
        using var app = App();
        var sources = app.Services.GetRequiredService<EndpointDataSource>();
        return sources.Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} {e.RoutePattern.RawText!.TrimStart('/')}"))
            .ToHashSet(StringComparer.Ordinal);
    }

    [Fact]
    public void HostJson_IsAnIsolatedWorkersWithoutACustomHandler_AndItsQueueSettingsLoad()
    {
        var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppDirectory, "host.json"))).RootElement;
        Assert.Equal("2.0", host.GetProperty("version").GetString());
        Assert.False(host.TryGetProperty("customHandler", out _), "host.json still declares a custom handler");
        Assert.False(host.TryGetProperty("extensionBundle", out _), "an isolated worker brings its extensions (extensions.json); a bundle is for other languages");
        Assert.Equal("api", host.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
        Assert.Equal(FunctionRoutes.Prefix, host.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());

        var settings = QueueSettings.Load(Path.Combine(AppDirectory, "host.json"));
        var queues = host.GetProperty("extensions").GetProperty("queues");
        Assert.Equal(queues.GetProperty("batchSize").GetInt32(), settings.BatchSize);
        Assert.Equal(queues.GetProperty("maxDequeueCount").GetInt32(), settings.MaxDequeueCount);
        Assert.Equal(TimeSpan.Parse(queues.GetProperty("visibilityTimeout").GetString()!, System.Globalization.CultureInfo.InvariantCulture), settings.VisibilityTimeout);
    }

    [Fact]
    public void WorkerConfig_SaysDotnetIsolated_AndStartsThisApp()
    {
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppDirectory, "worker.config.json"))).RootElement.GetProperty("description");

        Assert.Equal("dotnet-isolated", config.GetProperty("language").GetString());
        Assert.Equal("Verdict.Functions.dll", config.GetProperty("defaultWorkerPath").GetString());
        Assert.True(File.Exists(Path.Combine(AppDirectory, "extensions.json")), "the worker's binding extensions are listed for the host");
    }

    [Fact]
    public void EveryHttpFunction_IsALocalRoute_WithFunctionKeys_AndEveryLocalApiRouteIsAFunction()
    {
        var routes = AppRoutes();
        var declared = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, bindings) in Functions())
        {
            var trigger = bindings.EnumerateArray().Single(b => b.GetProperty("direction").GetString() == "In");
            if (trigger.GetProperty("type").GetString() != "httpTrigger")
            {
                continue;
            }
            Assert.Equal(name == "hello" ? "Anonymous" : "Function", trigger.GetProperty("authLevel").GetString());
            foreach (var method in trigger.GetProperty("methods").EnumerateArray())
            {
                string route = $"{method.GetString()!.ToUpperInvariant()} api/{trigger.GetProperty("route").GetString()}";
                Assert.True(routes.Contains(route), $"function {name} declares {route}, which the local host does not serve");
                declared.Add(route);
            }
        }
        var undeclared = routes.Where(r => r.Split(' ')[1].StartsWith("api/", StringComparison.Ordinal) && !declared.Contains(r)).ToList();
        Assert.True(undeclared.Count == 0, "local routes without a function: " + string.Join(", ", undeclared));
        Assert.Equal(
            ["GET api/experiments/{id}/report", "GET api/hello", "POST api/outcomes", "POST api/replies", "POST api/score", "POST api/score/batch", "POST api/templates/assign"],
            declared.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EveryQueueFunction_TriggersOnItsQueue_AndScoreRequestsAnswerToScoreResults()
    {
        var queueFunctions = Functions().Where(f => f.Bindings.EnumerateArray().Any(b => b.GetProperty("type").GetString() == "queueTrigger")).ToList();

        var triggers = queueFunctions.ToDictionary(f => f.Name, f => f.Bindings.EnumerateArray().Single(b => b.GetProperty("type").GetString() == "queueTrigger"));
        Assert.Equal(["queue-outcomes", "queue-replies", "queue-score-requests"], triggers.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(QueueHandler.Queues.Order(StringComparer.Ordinal), triggers.Values.Select(t => t.GetProperty("queueName").GetString()!).Order(StringComparer.Ordinal));
        Assert.Equal(QueueHandler.Queues.Order(StringComparer.Ordinal), FunctionRoutes.Queues().Select(q => q.Queue).Order(StringComparer.Ordinal));
        var results = queueFunctions.Single(f => f.Name == "queue-score-requests").Bindings.EnumerateArray()
            .Single(b => b.GetProperty("direction").GetString() == "Out");
        Assert.Equal(("queue", QueueHandler.ResultQueue), (results.GetProperty("type").GetString(), results.GetProperty("queueName").GetString()));
        Assert.All(queueFunctions.Where(f => f.Name != "queue-score-requests"), f => Assert.DoesNotContain(f.Bindings.EnumerateArray(), b => b.GetProperty("direction").GetString() == "Out"));
    }

    [Fact]
    public void QueueSettings_AWrongValue_IsReportedWithTheFileAndTheSetting()
    {
        using var temp = new TempDirectory();
        string path = temp.Combine("host.json");
        File.WriteAllText(path, """{"version":"2.0","extensions":{"queues":{"batchSize":64}}}""");

        var ex = Assert.Throws<InvalidOperationException>(() => QueueSettings.Load(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("extensions.queues.batchSize", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void QueueSettings_Missing_TakeTheHostsDefaults()
    {
        using var temp = new TempDirectory();
        string path = temp.Combine("host.json");
        File.WriteAllText(path, """{"version":"2.0","extensions":{"queues":{"batchSize":10}}}""");

        var settings = QueueSettings.Load(path);

        Assert.Equal((10, 5, 5, TimeSpan.Zero, TimeSpan.FromMinutes(1), true),
            (settings.BatchSize, settings.NewBatchThreshold, settings.MaxDequeueCount, settings.VisibilityTimeout, settings.MaxPollingInterval, settings.Base64));
    }

    [Fact]
    public void ApplicationInsights_ConnectionString_TurnsOnOpenTelemetryExport_AndItsAbsenceLeavesItOff()
    {
        const string Connection = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/";
        using (var withExport = App((Telemetry.ConnectionStringSetting, Connection)))
        {
            Assert.NotNull(withExport.Services.GetService<TracerProvider>());
        }
        using var without = App();
        Assert.Null(without.Services.GetService<TracerProvider>());
    }

    /// <summary>The arguments the Functions host starts a worker with, pointing at <paramref name="port"/> on loopback.</summary>
    private static string[] HostArguments(int port) =>
        [RepositoryPaths.BuiltProgram("Functions"), "--functions-uri", $"http://127.0.0.1:{port}/", "--functions-worker-id", "w-1",
         "--functions-request-id", "r-1", "--functions-grpc-max-message-length", "2147483647"];

    [Fact]
    public async Task StartedAsTheFunctionsHostStartsIt_TheAppIsTheIsolatedWorker_AndCallsTheHost()
    {
        using var host = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        host.Start();
        int port = ((System.Net.IPEndPoint)host.LocalEndpoint).Port;
        using var worker = TestProcess.StartServer("dotnet", HostArguments(port), new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        }, Path.GetDirectoryName(RepositoryPaths.BuiltProgram("Functions")));
        try
        {
            // The local host never dials out; the worker opens its gRPC stream to the host first thing.
            using var connection = await host.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(connection.Connected);
        }
        finally
        {
            worker.Kill(entireProcessTree: true);
            await worker.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task StartedByTheFunctionsHost_ABadSetting_StopsTheWorkerNamingIt()
    {
        var (code, stdout, stderr) = await TestProcess.RunAsync("dotnet", HostArguments(TestProcess.FreePort()), TimeSpan.FromMinutes(1), new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["Verdict__ReportMaxAge"] = "02:00:00",
        });

        Assert.NotEqual(0, code);
        Assert.Contains("Verdict:ReportMaxAge", stdout + stderr, StringComparison.Ordinal);
    }
}
