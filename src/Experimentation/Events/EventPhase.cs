namespace Verdict.Experimentation.Events;

/// <summary>The experiment phase an exposure was logged in (<c>phase</c> of a <c>scored</c> event).</summary>
public enum EventPhase
{
    /// <summary>Not stated in the log.</summary>
    Unspecified = 0,

    /// <summary>A/A: every arm serves the champion.</summary>
    AA = 1,

    /// <summary>A/B: the arms serve different models.</summary>
    AB = 2,
}
