namespace Verdict.Serving;

/// <summary>
/// A refused request: why, the field at fault (<c>body</c>, <c>handlingSeconds</c>), and which item of a
/// batch (null for a request of one item), so the edge can name it as <c>[2].body</c>.
/// </summary>
/// <param name="Reason">Why the request was refused.</param>
/// <param name="Field">The field at fault, as the contract spells it.</param>
/// <param name="Message">What is wrong, for the caller to read.</param>
/// <param name="Item">The index of the item at fault in a batch.</param>
public sealed record ServiceError(ServiceErrorReason Reason, string Field, string Message, int? Item = null)
{
    /// <summary>The field's path in the request: <c>[2].body</c> in a batch that was sent as an array, else <c>body</c>.</summary>
    public string Path(bool array) => array && Item is { } i ? $"[{i}].{Field}" : Field;
}
