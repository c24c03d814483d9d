namespace Verdict.Training;

/// <summary>The training data cannot be used; <see cref="File"/> and <see cref="Line"/> say where.</summary>
public sealed class TrainingDataException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDataException(string file, int line, string problem)
        : base(line > 0 ? $"{file}:{line}: {problem}" : $"{file}: {problem}")
    {
        File = file;
        Line = line;
        Problem = problem;
    }

    /// <summary>Creates the exception.</summary>
    public TrainingDataException() : this("", 0, "invalid training data") { }

    /// <summary>Creates the exception.</summary>
    public TrainingDataException(string message) : this("", 0, message) { }

    /// <summary>Creates the exception.</summary>
    public TrainingDataException(string message, Exception innerException) : base(message, innerException)
    {
        File = "";
        Problem = message;
    }

    /// <summary>The data file.</summary>
    public string File { get; }

    /// <summary>The 1-based line, or 0 when the problem is not on one line.</summary>
    public int Line { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Problem { get; }
}
