namespace Verdict.Serving;

/// <summary>A scored reply.</summary>
/// <param name="MessageId">The message it replies to.</param>
/// <param name="Intent">The reply's intent.</param>
/// <param name="Confidence">Its probability.</param>
/// <param name="Model">The model that scored it.</param>
public sealed record ReplyResponse(string MessageId, string Intent, float Confidence, string Model);
