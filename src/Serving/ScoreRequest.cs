namespace Verdict.Serving;

/// <summary>An email to score (Contract 4). Fields are as the caller sent them; the service validates them.</summary>
/// <param name="Id">The scoring id; a repeat of one already answered gets the same answer. A new id is made when null.</param>
/// <param name="Unit">The randomization unit (a contact, an account); the id when null.</param>
/// <param name="Experiment">The experiment whose assigner picks the model.</param>
/// <param name="Model">A model to score with outside any experiment (<c>name</c> or <c>name@version</c>).</param>
/// <param name="Subject">The subject line, scored with the body.</param>
/// <param name="Body">The email's text; required.</param>
/// <param name="Slot">A champion slot whose champion scores it, outside any experiment; by default the service's default slot.</param>
public sealed record ScoreRequest(string? Id, string? Unit, string? Experiment, string? Model, string? Subject, string? Body, string? Slot = null);
