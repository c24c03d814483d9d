namespace Verdict.Serving;

/// <summary>A message about to be sent under a template experiment.</summary>
/// <param name="Experiment">The template experiment; required.</param>
/// <param name="Unit">The randomization unit (the recipient); required.</param>
/// <param name="MessageId">The message's id; a repeat gets the same template. Required.</param>
public sealed record TemplateRequest(string? Experiment, string? Unit, string? MessageId);
