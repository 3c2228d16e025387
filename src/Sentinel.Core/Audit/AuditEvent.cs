namespace Sentinel.Audit;

/// <summary>
/// One security decision. Never holds a password, token, key, secret or code (SECURITY A2): services put only
/// identifiers and closed-set reasons into <see cref="Details"/>.
/// </summary>
public sealed record AuditEvent
{
    /// <summary>Time-ordered id (GUID v7).</summary>
    public required Guid Id { get; init; }

    /// <summary>When it happened (UTC).</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>One of <see cref="AuditEventTypes"/>.</summary>
    public required string Type { get; init; }

    /// <summary>Success or failure.</summary>
    public required AuditOutcome Outcome { get; init; }

    /// <summary>The user concerned, when known.</summary>
    public Guid? UserId { get; init; }

    /// <summary>The API key concerned, when one was used.</summary>
    public Guid? ApiKeyId { get; init; }

    /// <summary>The session concerned, when there is one.</summary>
    public Guid? SessionId { get; init; }

    /// <summary>The client's IP address.</summary>
    public string? IpAddress { get; init; }

    /// <summary>The client's user agent.</summary>
    public string? UserAgent { get; init; }

    /// <summary>The W3C trace id of the request, when tracing is on.</summary>
    public string? TraceId { get; init; }

    /// <summary>A small map of non-secret facts, such as <c>reason</c>.</summary>
    public IReadOnlyDictionary<string, string> Details { get; init; } = NoDetails;

    internal static readonly IReadOnlyDictionary<string, string> NoDetails = System.Collections.Frozen.FrozenDictionary<string, string>.Empty;
}

/// <summary>Whether the audited decision allowed or refused the action.</summary>
public enum AuditOutcome
{
    /// <summary>The action was allowed.</summary>
    Success,
    /// <summary>The action was refused.</summary>
    Failure,
}
