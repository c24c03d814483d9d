using System.Text;

namespace Verdict.Scoring.Featurizers;

/// <summary>
/// Makes arbitrary input text safe and comparable: at most <c>maxChars</c> UTF-16 units, lone surrogates
/// replaced by U+FFFD, control characters by spaces, then (optionally) Unicode NFKC and invariant
/// lower-casing, so full-width, compatibility and case variants of any script map to one form.
/// </summary>
internal static class TextNormalizer
{
    public static string Sanitize(string text, int maxChars)
    {
        var length = Math.Min(text.Length, maxChars);
        if (length < text.Length && length > 0 && char.IsHighSurrogate(text[length - 1]))
        {
            length--;
        }
        var span = text.AsSpan(0, length);
        var clean = true;
        for (var i = 0; i < span.Length && clean; i++)
        {
            var c = span[i];
            if (char.IsControl(c))
            {
                clean = false;
            }
            else if (char.IsHighSurrogate(c))
            {
                if (i + 1 < span.Length && char.IsLowSurrogate(span[i + 1]))
                {
                    i++;
                }
                else
                {
                    clean = false;
                }
            }
            else if (char.IsLowSurrogate(c))
            {
                clean = false;
            }
        }
        if (clean)
        {
            return length == text.Length ? text : span.ToString();
        }
        return string.Create(length, text, static (dest, source) =>
        {
            for (var i = 0; i < dest.Length; i++)
            {
                var c = source[i];
                if (char.IsHighSurrogate(c) && i + 1 < dest.Length && char.IsLowSurrogate(source[i + 1]))
                {
                    dest[i] = c;
                    dest[i + 1] = source[i + 1];
                    i++;
                }
                else if (char.IsSurrogate(c))
                {
                    dest[i] = '\uFFFD';
                }
                else
                {
                    dest[i] = char.IsControl(c) ? ' ' : c;
                }
            }
        });
    }

    /// <summary>Sanitizes, applies NFKC (skipped for ASCII, which it cannot change) and lower-cases.</summary>
    public static string Normalize(string text, int maxChars)
    {
        var sanitized = Sanitize(text, maxChars);
        if (!Ascii.IsValid(sanitized))
        {
            sanitized = sanitized.Normalize(NormalizationForm.FormKC);
        }
        return sanitized.ToLowerInvariant();
    }
}
