namespace Verdict.Serving;

/// <summary>Why the service refused a request; the edge maps each to its status (HTTP) or fate (queue).</summary>
public enum ServiceErrorReason
{
    /// <summary>A field is missing, empty, out of range or inconsistent: the caller must change the request.</summary>
    Invalid,

    /// <summary>A field (or the whole email) is over its size limit.</summary>
    TooLarge,

    /// <summary>The experiment or model the request names does not exist (yet: it may be published later).</summary>
    NotFound,

    /// <summary>What the request needs is down for now (the GPU service, with nothing to fall back on).</summary>
    Unavailable,
}
