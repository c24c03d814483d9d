using System.Diagnostics;
using System.Diagnostics.Metrics;
using Azure.Monitor.OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Verdict.Functions;

/// <summary>
/// The edge's traces and metrics (queues); the service's own are <see cref="Serving.ServingTelemetry"/>. Tags carry experiment, arm, model and queue names, never email text.
/// Instruments cost next to nothing until something listens; OpenTelemetry listens and exports to
/// Application Insights when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set.
/// </summary>
internal static class Telemetry
{
    /// <summary>The name of the app's activity source and meter.</summary>
    public const string Name = "Verdict.Functions";

    /// <summary>The setting Azure gives an app linked to Application Insights.</summary>
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    /// <summary>Time a queue message waited between being sent and being handled.</summary>
    public static readonly Histogram<double> QueueLag = Meter.CreateHistogram<double>("verdict.queue.lag", "s", "Time from enqueue to handling");

    /// <summary>Queue messages handled, by queue and result (succeeded, retried, poisoned).</summary>
    public static readonly Counter<long> QueueMessages = Meter.CreateCounter<long>("verdict.queue.messages", "{message}", "Queue messages handled, by result");

    /// <summary>Messages moved to a poison queue.</summary>
    public static readonly Counter<long> Poisoned = Meter.CreateCounter<long>("verdict.queue.poisoned", "{message}", "Messages moved to <queue>-poison");

    /// <summary>Leases renewed on messages that the local listeners were still handling.</summary>
    public static readonly Counter<long> LeaseRenewals = Meter.CreateCounter<long>("verdict.queue.lease_renewals", "{renewal}", "Leases renewed on messages still being handled");

    /// <summary>Registers OpenTelemetry with the Azure Monitor exporters when the connection string is configured.</summary>
    public static void AddExport(IServiceCollection services, IConfiguration configuration)
    {
        string? connection = configuration[ConnectionStringSetting];
        if (string.IsNullOrWhiteSpace(connection))
        {
            return;
        }
        services.AddOpenTelemetry()
            .WithTracing(t => t
                .AddSource(Name, Serving.ServingTelemetry.Name, "Microsoft.AspNetCore", "Azure.*")
                .AddAzureMonitorTraceExporter(o => o.ConnectionString = connection))
            .WithMetrics(m => m
                .AddMeter(Name, Serving.ServingTelemetry.Name, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
                .AddAzureMonitorMetricExporter(o => o.ConnectionString = connection));
    }
}
