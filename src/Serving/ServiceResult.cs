using System.Diagnostics.CodeAnalysis;

namespace Verdict.Serving;

/// <summary>What the service did with a request: a value, or the error that refused it (never both).</summary>
/// <typeparam name="T">The value of a request that succeeded.</typeparam>
public readonly record struct ServiceResult<T>
{
    /// <summary>A success.</summary>
    public ServiceResult(T value)
    {
        Value = value;
    }

    /// <summary>A refusal.</summary>
    public ServiceResult(ServiceError error)
    {
        Error = error ?? throw new ArgumentNullException(nameof(error));
    }

    /// <summary>The value, when the request succeeded.</summary>
    public T? Value { get; }

    /// <summary>Why the request was refused, when it was.</summary>
    public ServiceError? Error { get; }

    /// <summary>Whether the request succeeded.</summary>
    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Succeeded => Error is null;

    /// <summary>A success.</summary>
    public static implicit operator ServiceResult<T>(T value) => new(value);

    /// <summary>A refusal.</summary>
    public static implicit operator ServiceResult<T>(ServiceError error) => new(error);
}
