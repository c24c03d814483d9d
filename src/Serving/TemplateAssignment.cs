namespace Verdict.Serving;

/// <summary>The arm a template experiment gave a message.</summary>
/// <param name="MessageId">The message.</param>
/// <param name="Experiment">The template experiment.</param>
/// <param name="Arm">The arm.</param>
/// <param name="Template">The template the arm serves.</param>
public sealed record TemplateAssignment(string MessageId, string Experiment, string Arm, string Template);
