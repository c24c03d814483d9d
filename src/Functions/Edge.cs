using Microsoft.AspNetCore.Mvc;

namespace Verdict.Functions;

/// <summary>
/// A response of the HTTP functions: a minimal-API result that is also an MVC action result, so the same value
/// is executed by the Functions host's ASP.NET Core integration (which runs <see cref="IActionResult"/>) and by
/// the local host (which runs <see cref="IResult"/>). <see cref="RunAsync"/> is where refusals become problem details.
/// </summary>
internal sealed class Edge(IResult result) : IActionResult, IResult
{
    public Task ExecuteAsync(HttpContext httpContext) => result.ExecuteAsync(httpContext);

    public Task ExecuteResultAsync(ActionContext context) => result.ExecuteAsync(context.HttpContext);

    /// <summary>Runs a function's body: a <see cref="RequestProblem"/> (the edge's or the service's) becomes problem details naming the field.</summary>
    public static async Task<IActionResult> RunAsync(Func<Task<IResult>> action)
    {
        try
        {
            return new Edge(await action().ConfigureAwait(false));
        }
        catch (RequestProblem problem)
        {
            return new Edge(problem.ToResult());
        }
        catch (BadHttpRequestException bad)
        {
            // The body stopped short of its Content-Length, or the client went away mid-request: the client's fault, said as such.
            return new Edge(new RequestProblem("$", bad.Message, bad.StatusCode).ToResult());
        }
    }
}
