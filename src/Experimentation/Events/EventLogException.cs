namespace Verdict.Experimentation.Events;

/// <summary>The event log cannot be read: a malformed line under <c>--strict</c>, a missing path, or an ambiguous experiment.</summary>
public sealed class EventLogException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EventLogException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public EventLogException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public EventLogException()
    {
    }
}
