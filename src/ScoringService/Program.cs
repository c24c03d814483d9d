using Verdict.ScoringService;

await ScoringServiceApp.Build(args).RunAsync().ConfigureAwait(false);

/// <summary>The entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
