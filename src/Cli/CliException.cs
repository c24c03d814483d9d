namespace Verdict.Cli;

/// <summary>A problem with the command line the user can fix; printed as one line.</summary>
internal sealed class CliException(string message) : Exception(message);
