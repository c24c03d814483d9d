using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Verdict.TestUtilities;

namespace Verdict.Functions.Tests;

/// <summary>
/// What the Functions host reads (host.json and one function.json per folder, copied beside the app) agrees
/// with what the app serves, and the app reads the host's invocation payloads as documented.
/// </summary>
public sealed class HostContractTests
{
    private static readonly string AppDirectory = AppContext.BaseDirectory;

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

    private static IEnumerable<(string Name, JsonElement Bindings)> Functions() =>
        Directory.GetDirectories(AppDirectory)
            .Where(d => File.Exists(Path.Combine(d, "function.json")))
            .Select(d => (Path.GetFileName(d), JsonDocument.Parse(File.ReadAllText(Path.Combine(d, "function.json"))).RootElement.GetProperty("bindings").Clone()));

    /// <summary>Every (method, route) the app answers, as "POST api/score".</summary>
    private static HashSet<string> AppRoutes()
    {
        using var app = App();
        var sources = app.Services.GetRequiredService<EndpointDataSource>();
        return sources.Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} {e.RoutePattern.RawText!.TrimStart('/')}"))
            .ToHashSet(StringComparer.Ordinal);
    }

    [Fact]
    public void HostJson_DeclaresTheAppAsACustomHandlerForwardingHttp_AndItsQueueSettingsLoad()
    {
        var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppDirectory, "host.json"))).RootElement;
        var handler = host.GetProperty("customHandler");
        Assert.Equal("2.0", host.GetProperty("version").GetString());
        Assert.True(handler.GetProperty("enableForwardingHttpRequest").GetBoolean());
        Assert.Equal("Verdict.Functions", handler.GetProperty("description").GetProperty("defaultExecutablePath").GetString());
        Assert.True(File.Exists(Path.Combine(AppDirectory, "Verdict.Functions")), "the executable host.json names sits beside it");
        Assert.Equal("api", host.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());

        var settings = QueueSettings.Load(Path.Combine(AppDirectory, "host.json"));
        var queues = host.GetProperty("extensions").GetProperty("queues");
        Assert.Equal(queues.GetProperty("batchSize").GetInt32(), settings.BatchSize);
        Assert.Equal(queues.GetProperty("maxDequeueCount").GetInt32(), settings.MaxDequeueCount);
        Assert.Equal(TimeSpan.Parse(queues.GetProperty("visibilityTimeout").GetString()!, System.Globalization.CultureInfo.InvariantCulture), settings.VisibilityTimeout);
    }

    [Fact]
    public void EveryHttpFunction_IsAnAppRoute_WithFunctionKeys_AndEveryApiRouteHasAFunction()
    {
        var routes = AppRoutes();
        var declared = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, bindings) in Functions())
        {
            var trigger = bindings.EnumerateArray().Single(b => b.GetProperty("direction").GetString() == "in");
            if (trigger.GetProperty("type").GetString() != "httpTrigger")
            {
                continue;
            }
            Assert.Equal("function", trigger.GetProperty("authLevel").GetString());
            var output = Assert.Single(bindings.EnumerateArray(), b => b.GetProperty("direction").GetString() == "out");
            Assert.Equal("http", output.GetProperty("type").GetString());
            foreach (var method in trigger.GetProperty("methods").EnumerateArray())
            {
                string route = $"{method.GetString()!.ToUpperInvariant()} api/{trigger.GetProperty("route").GetString()}";
                Assert.True(routes.Contains(route), $"{name}/function.json declares {route}, which the app does not serve");
                declared.Add(route);
            }
        }
        var undeclared = routes.Where(r => r.Split(' ')[1].StartsWith("api/", StringComparison.Ordinal) && !declared.Contains(r)).ToList();
        Assert.True(undeclared.Count == 0, "app routes without a function.json: " + string.Join(", ", undeclared));
        Assert.Contains("POST api/score", declared);
        Assert.Contains("GET api/experiments/{id}/report", declared);
    }

    [Fact]
    public void EveryQueueFunction_TriggersOnItsQueue_AndTheAppAnswersItsInvocationPath()
    {
        var routes = AppRoutes();
        var queueFunctions = Functions().Where(f => f.Bindings.EnumerateArray().Any(b => b.GetProperty("type").GetString() == "queueTrigger")).ToList();
        Assert.Equal(QueueFunctions.QueueOfFunction.Keys.Order(), queueFunctions.Select(f => f.Name).Order());
        foreach (var (name, bindings) in queueFunctions)
        {
            var trigger = bindings.EnumerateArray().Single(b => b.GetProperty("type").GetString() == "queueTrigger");
            Assert.Equal(QueueFunctions.TriggerBinding, trigger.GetProperty("name").GetString());
            Assert.Equal(QueueFunctions.QueueOfFunction[name], trigger.GetProperty("queueName").GetString());
            Assert.Equal("AzureWebJobsStorage", trigger.GetProperty("connection").GetString());
            Assert.Contains($"POST {name}", routes);
        }
        var results = queueFunctions.Single(f => f.Name == "queue-score-requests").Bindings.EnumerateArray()
            .Single(b => b.GetProperty("direction").GetString() == "out");
        Assert.Equal(("queue", QueueFunctions.OutputBinding, QueueFunctions.ResultQueue),
            (results.GetProperty("type").GetString(), results.GetProperty("name").GetString(), results.GetProperty("queueName").GetString()));
    }

    [Fact]
    public void Invocation_FromTheDocumentedPayload_UnwrapsTheDoubleEncodedMessageAndReadsItsMetadata()
    {
        var payload = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppDirectory, "HostPayloads", "queue-trigger-string.json"))).RootElement;

        var invocation = HostInvocation.Read(payload);

        var message = JsonDocument.Parse(invocation.Message).RootElement;
        Assert.Equal("q-doc-1", message.GetProperty("id").GetString());
        Assert.Equal("Sounds good, send the contract over.", message.GetProperty("body").GetString());
        Assert.Equal(1, invocation.DequeueCount);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 9, 14, 5, TimeSpan.Zero), invocation.InsertionTime);
        Assert.Equal("5f0c2a3e-8d41-4b7a-9c1e-2f6d8a0b7e55", invocation.MessageId);
    }

    [Fact]
    public void Invocation_WithObjectDataAndAStringDequeueCount_IsReadToo()
    {
        var payload = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppDirectory, "HostPayloads", "queue-trigger-object.json"))).RootElement;

        var invocation = HostInvocation.Read(payload);

        Assert.Equal(42.5, JsonDocument.Parse(invocation.Message).RootElement.GetProperty("handlingSeconds").GetDouble());
        Assert.Equal(3, invocation.DequeueCount);
    }

    [Theory]
    [InlineData("""{"Metadata":{}}""", "Data")]
    [InlineData("""{"Data":{"other":"x"}}""", "Data.message")]
    [InlineData("""{"Data":{"message":12}}""", "Data.message")]
    [InlineData("""{"Data":{"message":"{}"},"Metadata":{"DequeueCount":0}}""", "Metadata.DequeueCount")]
    public void Invocation_ThatIsNotTheHostsShape_IsRefusedNamingTheField(string envelope, string field)
    {
        var problem = Assert.Throws<RequestProblem>(() => HostInvocation.Read(JsonDocument.Parse(envelope).RootElement));

        Assert.Equal(field, problem.Field);
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
}
