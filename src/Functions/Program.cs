using Verdict.Functions;

if (FunctionsApp.UnderFunctionsHost(args))
{
    await FunctionsApp.BuildWorker(args).RunAsync().ConfigureAwait(false);
}
else
{
    await FunctionsApp.BuildLocal(args).RunAsync().ConfigureAwait(false);
}

/// <summary>The app's entry point: an isolated worker under the Functions host, the local host anywhere else.</summary>
public partial class Program
{
}
