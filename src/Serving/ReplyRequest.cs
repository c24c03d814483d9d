namespace Verdict.Serving;

/// <summary>A reply to a message sent under a template experiment.</summary>
/// <param name="MessageId">The message it replies to; required.</param>
/// <param name="Body">The reply's text; required.</param>
/// <param name="Experiment">The experiment, when the caller knows it; else taken from the remembered assignment.</param>
public sealed record ReplyRequest(string? MessageId, string? Body, string? Experiment);
