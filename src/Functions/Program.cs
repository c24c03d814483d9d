using Verdict.Functions;

var app = FunctionsApp.Build(args);
await app.RunAsync().ConfigureAwait(false);

/// <summary>The Functions app's entry point (a custom handler in Azure, a stand-alone server locally).</summary>
public partial class Program
{
}
