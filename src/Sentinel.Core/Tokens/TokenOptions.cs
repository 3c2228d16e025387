namespace Sentinel.Tokens;

/// <summary>Access tokens, refresh tokens, sessions and signing keys.</summary>
public sealed class TokenOptions
{
    /// <summary>The <c>iss</c> of every token, usually the API's base URL. Default <c>sentinel</c>; set it in production.</summary>
    public string Issuer { get; set; } = "sentinel";

    /// <summary>The <c>aud</c> of every access token. Default: the same as <see cref="Issuer"/>.</summary>
    public string? Audience { get; set; }

    /// <summary>The <c>client_id</c> claim of tokens issued through the sign-in endpoints. Default <c>sentinel</c>.</summary>
    public string ClientId { get; set; } = "sentinel";

    /// <summary>How long an access token lives. Default 15 minutes.</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Clock skew allowed on <c>exp</c> and <c>nbf</c>. Default 30 seconds.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A session (refresh-token family) ends this long after sign-in, whatever happens. Default 30 days.</summary>
    public TimeSpan SessionAbsoluteLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>A session ends when it has not been refreshed for this long. Default 14 days.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromDays(14);

    /// <summary>
    /// A spent refresh token presented again within this window is refused but the session is kept (a benign
    /// client race). Zero, the default, treats every replay as theft and revokes the session (RFC 9700).
    /// </summary>
    public TimeSpan RefreshTokenReuseLeeway { get; set; } = TimeSpan.Zero;

    /// <summary>The signing algorithm. Default ES256.</summary>
    public SigningAlgorithm SigningAlgorithm { get; set; } = SigningAlgorithm.ES256;

    /// <summary>For <see cref="SigningAlgorithm.HS256"/> only: the shared secret, base64, at least 32 bytes (256 bits).</summary>
    public string? HmacSecret { get; set; }

    /// <summary>How long a signing key signs before the next takes over. Default 30 days.</summary>
    public TimeSpan KeyRotationInterval { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long before it signs a new key is published in JWKS, so that caches pick it up. Default 2 days.</summary>
    public TimeSpan KeyPublicationLeadTime { get; set; } = TimeSpan.FromDays(2);

    /// <summary>
    /// Lets the host add claims to every access token it issues (reserved claims cannot be replaced).
    /// </summary>
    public Func<AccessTokenClaimsContext, ValueTask>? OnIssuingAccessToken { get; set; }

    /// <summary>How many validated access tokens the bearer path keeps in memory. Default 100,000; 0 turns the cache off.</summary>
    public int ValidatedTokenCacheSize { get; set; } = 100_000;

    internal string EffectiveAudience => string.IsNullOrWhiteSpace(Audience) ? Issuer : Audience;

    /// <summary>Adds what is wrong with these settings to <paramref name="result"/>, each with its configuration key and how to fix it.</summary>
    internal void Validate(Microsoft.Extensions.Options.ValidateOptionsResultBuilder result)
    {
        var t = this;
        if (string.IsNullOrWhiteSpace(t.Issuer))
        {
            result.AddError("must be set, usually to the API's base URL (https://api.example.com).", "Sentinel:Tokens:Issuer");
        }

        if (string.IsNullOrWhiteSpace(t.ClientId))
        {
            result.AddError("must be set; it becomes the client_id claim.", "Sentinel:Tokens:ClientId");
        }

        if (t.AccessTokenLifetime < TimeSpan.FromSeconds(30) || t.AccessTokenLifetime > TimeSpan.FromDays(1))
        {
            result.AddError("must be between 00:00:30 and 1.00:00:00; short is safer (default 00:15:00).", "Sentinel:Tokens:AccessTokenLifetime");
        }

        if (t.ClockSkew < TimeSpan.Zero || t.ClockSkew > TimeSpan.FromMinutes(5))
        {
            result.AddError("must be between 0 and 00:05:00 (default 00:00:30).", "Sentinel:Tokens:ClockSkew");
        }

        if (t.SessionIdleTimeout <= TimeSpan.Zero || t.SessionAbsoluteLifetime < t.SessionIdleTimeout)
        {
            result.AddError("must be positive and at most SessionAbsoluteLifetime.", "Sentinel:Tokens:SessionIdleTimeout");
        }

        if (t.RefreshTokenReuseLeeway < TimeSpan.Zero || t.RefreshTokenReuseLeeway > TimeSpan.FromMinutes(1))
        {
            result.AddError("must be between 0 (the default: every replay revokes the session) and 00:01:00.", "Sentinel:Tokens:RefreshTokenReuseLeeway");
        }

        if (t.KeyRotationInterval < TimeSpan.FromHours(1) || t.KeyPublicationLeadTime < TimeSpan.Zero || t.KeyPublicationLeadTime >= t.KeyRotationInterval)
        {
            result.AddError("KeyRotationInterval must be at least 01:00:00 and KeyPublicationLeadTime between 0 and KeyRotationInterval.", "Sentinel:Tokens:KeyRotationInterval");
        }

        if (t.ValidatedTokenCacheSize < 0)
        {
            result.AddError("must be 0 (off) or more.", "Sentinel:Tokens:ValidatedTokenCacheSize");
        }

        if (!Enum.IsDefined(t.SigningAlgorithm))
        {
            result.AddError("must be ES256, RS256 or HS256.", "Sentinel:Tokens:SigningAlgorithm");
        }
        else if (t.SigningAlgorithm == Tokens.SigningAlgorithm.HS256)
        {
            // SECURITY T6: an HMAC secret shorter than 256 bits is refused at start-up.
            var bytes = new byte[((t.HmacSecret?.Length ?? 0) * 3 / 4) + 3];
            if (t.HmacSecret is null || !Convert.TryFromBase64String(t.HmacSecret, bytes, out var length) || length < 32)
            {
                result.AddError("must be base64 of at least 32 random bytes (256 bits) for HS256; generate one with `openssl rand -base64 32`.", "Sentinel:Tokens:HmacSecret");
            }
        }    }
}

/// <summary>Signing algorithms Sentinel issues tokens with.</summary>
public enum SigningAlgorithm
{
    /// <summary>ECDSA P-256 with SHA-256; keys generated and rotated by Sentinel.</summary>
    ES256,
    /// <summary>RSA 2048 PKCS#1 v1.5 with SHA-256; keys generated and rotated by Sentinel.</summary>
    RS256,
    /// <summary>HMAC-SHA256 with <see cref="TokenOptions.HmacSecret"/>; nothing is published in JWKS.</summary>
    HS256,
}

/// <summary>What the host sees when adding claims to an access token.</summary>
public sealed class AccessTokenClaimsContext
{
    internal AccessTokenClaimsContext(Users.SentinelUser user, Guid sessionId, Dictionary<string, object> claims)
    {
        User = user;
        SessionId = sessionId;
        Claims = claims;
    }

    /// <summary>The user the token is for.</summary>
    public Users.SentinelUser User { get; }

    /// <summary>The session (<c>sid</c>).</summary>
    public Guid SessionId { get; }

    /// <summary>The payload; add entries (string, number, bool or arrays of them). Reserved names are refused.</summary>
    public IDictionary<string, object> Claims { get; }
}
