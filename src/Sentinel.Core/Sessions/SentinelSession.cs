namespace Sentinel.Sessions;

/// <summary>A sign-in: the family of refresh tokens it issues, and the <c>sid</c> of its access tokens.</summary>
public sealed class SentinelSession
{
    /// <summary>The session id (GUID v7), the <c>sid</c> claim.</summary>
    public Guid Id { get; set; }

    /// <summary>Whose session it is.</summary>
    public Guid UserId { get; set; }

    /// <summary>When the user signed in.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When a refresh token of this session was last spent (or the sign-in).</summary>
    public DateTimeOffset LastUsedAt { get; set; }

    /// <summary>The absolute end: no refresh extends a session past it.</summary>
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>The client's IP address at sign-in.</summary>
    public string? IpAddress { get; set; }

    /// <summary>The client's user agent at sign-in.</summary>
    public string? UserAgent { get; set; }

    /// <summary>How the user authenticated (<c>amr</c>: <c>pwd</c>, <c>otp</c>, <c>rc</c>).</summary>
    public List<string> AuthenticationMethods { get; set; } = [];

    /// <summary>
    /// When the user last proved a credential in this session (signing in; later, re-authenticating): every access
    /// token of the session carries it as <c>auth_time</c>, and a refresh keeps it (SECURITY T11).
    /// </summary>
    public DateTimeOffset AuthenticatedAt { get; set; }

    /// <summary>When it was revoked, if it was.</summary>
    public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>Why it was revoked (a closed-set word such as <c>logout</c> or <c>reuse_detected</c>).</summary>
    public string? RevokedReason { get; set; }

    /// <summary>True when neither revoked nor past its absolute end at <paramref name="now"/>.</summary>
    public bool IsActive(DateTimeOffset now) => RevokedAt is null && now < ExpiresAt;

    internal object MemberwiseCloneForStore() => MemberwiseClone();
}

/// <summary>
/// A refresh token as stored: only the SHA-256 of the token, never the token (SECURITY T7). Spent once; the
/// spent row is kept until it expires so that a replay is recognised as reuse.
/// </summary>
public sealed class RefreshTokenRecord
{
    /// <summary>Base64url SHA-256 of the token string.</summary>
    public string Hash { get; set; } = "";

    /// <summary>The session (family) it belongs to.</summary>
    public Guid SessionId { get; set; }

    /// <summary>The session's user.</summary>
    public Guid UserId { get; set; }

    /// <summary>When it was issued.</summary>
    public DateTimeOffset IssuedAt { get; set; }

    /// <summary>When it stops working: the idle timeout, capped by the session's absolute end.</summary>
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>When it was spent (exchanged for the next one); null while unused.</summary>
    public DateTimeOffset? SpentAt { get; set; }
}

/// <summary>A revoked session id with when it was revoked, for loading the in-memory revocation list.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="UserId">Its user.</param>
/// <param name="RevokedAt">When it was revoked.</param>
public readonly record struct RevokedSession(Guid SessionId, Guid UserId, DateTimeOffset RevokedAt);
