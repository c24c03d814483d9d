namespace Verdict.Scoring;

/// <summary>The one exception type of the scoring library; <see cref="Error"/> says what went wrong.</summary>
public sealed class ScoringException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ScoringException(ScoringError error, string message, Exception? innerException = null)
        : base(message, innerException) => Error = error;

    /// <summary>Creates an exception with <see cref="ScoringError.ModelInvalid"/>.</summary>
    public ScoringException() : this(ScoringError.ModelInvalid, "Scoring failed.") { }

    /// <summary>Creates an exception with <see cref="ScoringError.ModelInvalid"/>.</summary>
    public ScoringException(string message) : this(ScoringError.ModelInvalid, message) { }

    /// <summary>Creates an exception with <see cref="ScoringError.ModelInvalid"/>.</summary>
    public ScoringException(string message, Exception innerException) : this(ScoringError.ModelInvalid, message, innerException) { }

    /// <summary>What went wrong.</summary>
    public ScoringError Error { get; }
}
