using System.Reflection;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;

namespace Verdict.Functions;

/// <summary>
/// The function classes as the local host serves them, read from the same attributes the Functions host reads
/// (through the worker SDK's generated metadata): every <c>[Function]</c> method with an <c>[HttpTrigger]</c>
/// parameter becomes a route under <c>/api/</c> with its methods, and every one with a <c>[QueueTrigger]</c> a
/// queue the local listeners consume, each called with its arguments bound as the host binds them. No route
/// or queue is declared twice.
/// </summary>
internal static class FunctionRoutes
{
    /// <summary>The route prefix of host.json's <c>extensions.http.routePrefix</c>.</summary>
    public const string Prefix = "api";

    /// <summary>The classes that hold functions.</summary>
    public static readonly Type[] Classes = [typeof(HttpFunctions), typeof(QueueFunctions)];

    /// <summary>An HTTP function: its name, methods, route (without the prefix) and method.</summary>
    public sealed record HttpFunction(string Name, string[] Methods, string Route, MethodInfo Method);

    /// <summary>A queue function: its name, the queue it is triggered by, the queue its return value goes to (if any), and its method.</summary>
    public sealed record QueueFunction(string Name, string Queue, string? Output, MethodInfo Method);

    public static IEnumerable<HttpFunction> Http() =>
        from method in Methods()
        let trigger = method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(a => a is not null)
        where trigger is not null
        select new HttpFunction(method.GetCustomAttribute<FunctionAttribute>()!.Name, trigger.Methods ?? ["get", "post"], trigger.Route ?? method.GetCustomAttribute<FunctionAttribute>()!.Name, method);

    public static IEnumerable<QueueFunction> Queues() =>
        from method in Methods()
        let trigger = method.GetParameters().Select(p => p.GetCustomAttribute<QueueTriggerAttribute>()).FirstOrDefault(a => a is not null)
        where trigger is not null
        select new QueueFunction(method.GetCustomAttribute<FunctionAttribute>()!.Name, trigger.QueueName, method.GetCustomAttribute<QueueOutputAttribute>()?.QueueName, method);

    private static IEnumerable<MethodInfo> Methods() =>
        Classes.SelectMany(c => c.GetMethods(BindingFlags.Public | BindingFlags.Instance)).Where(m => m.GetCustomAttribute<FunctionAttribute>() is not null);

    /// <summary>Maps every HTTP function to its route: the class comes from the container, the request, route values and the request's cancellation are its arguments.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        foreach (var function in Http())
        {
            var parameters = function.Method.GetParameters();
            app.MapMethods($"/{Prefix}/{function.Route}", function.Methods.Select(m => m.ToUpperInvariant()), async context =>
            {
                object target = context.RequestServices.GetRequiredService(function.Method.DeclaringType!);
                object?[] arguments = Array.ConvertAll(parameters, p => Argument(p, context));
                object? returned = function.Method.Invoke(target, arguments);
                var result = returned switch
                {
                    Task<IActionResult> pending => await pending.ConfigureAwait(false),
                    IActionResult done => done,
                    _ => throw new InvalidOperationException($"{function.Name} returned {returned?.GetType().Name ?? "null"}; HTTP functions return IActionResult"),
                };
                // The functions' own results are minimal-API results as well (Edge): run them as such, with no MVC
                // action context to build per request.
                await (result is IResult direct
                    ? direct.ExecuteAsync(context)
                    : result.ExecuteResultAsync(new ActionContext(context, context.GetRouteData(), new ActionDescriptor()))).ConfigureAwait(false);
            }).WithName(function.Name);
        }
    }

    /// <summary>Calls a queue function as the host would: the class from the container, the message, and no cancellation (a message in hand is finished). Gives its output message, if any.</summary>
    public static async Task<string?> InvokeAsync(IServiceProvider services, QueueFunction function, QueueMessage message)
    {
        object target = services.GetRequiredService(function.Method.DeclaringType!);
        object?[] arguments = Array.ConvertAll(function.Method.GetParameters(), p =>
            p.ParameterType == typeof(QueueMessage) ? message
            : p.ParameterType == typeof(CancellationToken) ? (object)CancellationToken.None
            : throw new InvalidOperationException($"the local host cannot bind {function.Name}'s parameter {p.Name} ({p.ParameterType.Name})"));
        switch (function.Method.Invoke(target, arguments))
        {
            case Task<string?> withOutput:
                return await withOutput.ConfigureAwait(false);
            case Task done:
                await done.ConfigureAwait(false);
                return null;
            default:
                throw new InvalidOperationException($"{function.Name} is not asynchronous; queue functions return Task or Task<string?>");
        }
    }

    private static object? Argument(ParameterInfo parameter, HttpContext context) =>
        parameter.ParameterType == typeof(HttpRequest) ? context.Request
        : parameter.ParameterType == typeof(CancellationToken) ? context.RequestAborted
        : parameter.ParameterType == typeof(string) ? context.Request.RouteValues[parameter.Name!] as string
        : throw new InvalidOperationException($"the local host cannot bind {parameter.Member.Name}'s parameter {parameter.Name} ({parameter.ParameterType.Name})");
}
