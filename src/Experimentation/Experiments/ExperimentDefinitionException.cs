namespace Verdict.Experimentation.Experiments;

/// <summary>An experiment definition or a phase change is invalid; the message names each offending field.</summary>
public sealed class ExperimentDefinitionException : Exception
{
    /// <summary>Creates the exception from the problems found, one per field.</summary>
    public ExperimentDefinitionException(IReadOnlyList<string> problems)
        : base(string.Join("; ", problems)) => Problems = problems;

    /// <summary>Creates the exception from one problem.</summary>
    public ExperimentDefinitionException(string problem)
        : this([problem])
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public ExperimentDefinitionException()
        : this([])
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public ExperimentDefinitionException(string message, Exception innerException)
        : base(message, innerException) => Problems = [message];

    /// <summary>Each problem, naming its field (e.g. <c>arms[1].weight</c>).</summary>
    public IReadOnlyList<string> Problems { get; }
}

/// <summary>Someone else changed the experiment first (the stored ETag moved); read it again and retry.</summary>
public sealed class ExperimentConflictException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ExperimentConflictException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public ExperimentConflictException()
    {
    }

    /// <summary>Creates the exception with a cause.</summary>
    public ExperimentConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
