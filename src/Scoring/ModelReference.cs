using System.Diagnostics.CodeAnalysis;

namespace Verdict.Scoring;

/// <summary>
/// A model named as <c>name</c> (the newest servable version) or <c>name@version</c> (exactly that version).
/// </summary>
public readonly record struct ModelReference
{
    /// <summary>Creates a reference; <paramref name="version"/> null means the newest version.</summary>
    public ModelReference(string name, string? version = null)
    {
        if (!IsValidSegment(name))
        {
            throw new ScoringException(ScoringError.InvalidReference, $"Model name '{name}' is invalid: use letters, digits, '.', '-' or '_'.");
        }
        if (version is not null && !IsValidSegment(version))
        {
            throw new ScoringException(ScoringError.InvalidReference, $"Model version '{version}' is invalid: use letters, digits, '.', '-' or '_'.");
        }
        Name = name;
        Version = version;
    }

    /// <summary>The model's name.</summary>
    public string Name { get; }

    /// <summary>The version, or null for the newest servable version.</summary>
    public string? Version { get; }

    /// <summary>Parses <c>name</c> or <c>name@version</c>.</summary>
    /// <exception cref="ScoringException">With <see cref="ScoringError.InvalidReference"/>.</exception>
    public static ModelReference Parse(string text)
    {
        if (TryParse(text, out var reference))
        {
            return reference;
        }
        throw new ScoringException(ScoringError.InvalidReference, $"Model reference '{text}' is invalid: expected 'name' or 'name@version'.");
    }

    /// <summary>Parses <c>name</c> or <c>name@version</c> without throwing.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out ModelReference reference)
    {
        reference = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        var at = text.IndexOf('@', StringComparison.Ordinal);
        var name = at < 0 ? text : text[..at];
        var version = at < 0 ? null : text[(at + 1)..];
        if (!IsValidSegment(name) || (version is not null && !IsValidSegment(version)))
        {
            return false;
        }
        reference = new ModelReference(name, version);
        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => Version is null ? Name : $"{Name}@{Version}";

    internal static bool IsValidSegment(string? segment)
    {
        if (string.IsNullOrEmpty(segment) || segment.Length > 128 || segment[0] == '.')
        {
            return false;
        }
        foreach (var c in segment)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
            {
                return false;
            }
        }
        return true;
    }
}
