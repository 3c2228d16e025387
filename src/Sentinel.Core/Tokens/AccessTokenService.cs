using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Sentinel.Sessions;
using Sentinel.Users;

namespace Sentinel.Tokens;

/// <summary>
/// Issues and validates access tokens (RFC 9068 JWTs, <c>typ: at+jwt</c>). Validation pins the algorithm to the
/// key's, requires <c>typ</c>, issuer, audience, lifetime and Sentinel's claims, looks keys up only in the ring,
/// and checks revocation in memory. A token string validated once is served from a bounded cache until it
/// expires; every hit still checks expiry and revocation.
/// </summary>
public sealed class AccessTokenService
{
    /// <summary>The <c>typ</c> header of access tokens.</summary>
    public const string TokenType = "at+jwt";

    /// <summary>Claim names Sentinel sets itself; a host hook may not replace them.</summary>
    public static readonly IReadOnlySet<string> ReservedClaims = new HashSet<string>(StringComparer.Ordinal)
    {
        "iss", "aud", "sub", "client_id", "iat", "nbf", "exp", "jti", "sid", "amr", "role", "auth_time",
    };

    private const int MaxTokenLength = 8 * 1024;

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false, SetDefaultTimesOnTokenCreation = false };
    private readonly SigningKeyRing _keys;
    private readonly RevocationList _revocations;
    private readonly TokenOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, ValidatedAccessToken> _cache = new(StringComparer.Ordinal);

    // The cache's tokens in the order they were added (oldest first: tokens expire in roughly that order), and its
    // size, kept apart so that neither reading the size nor making room takes the dictionary's locks or scans it.
    private readonly ConcurrentQueue<string> _cacheOrder = new();
    private int _cacheCount;
    private readonly TokenValidationParameters _parameters;

    /// <summary>Creates the service; normally resolved from DI as a singleton.</summary>
    internal AccessTokenService(SigningKeyRing keys, RevocationList revocations, IOptions<SentinelOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _keys = keys;
        _revocations = revocations;
        _options = options.Value.Tokens;
        _time = time;
        _parameters = new TokenValidationParameters
        {
            ValidIssuer = _options.Issuer,
            ValidAudience = _options.EffectiveAudience,
            ValidTypes = [TokenType, "application/" + TokenType],
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = false, // checked below against the injected TimeProvider
            RequireSignedTokens = true,
            RequireAudience = true,
            TryAllIssuerSigningKeys = false,
            // Only keys in the ring, found by kid; an unknown kid finds nothing (SECURITY T5).
            IssuerSigningKeyResolver = (_, _, kid, _) => _keys.Find(kid) is { } key ? [key.Key] : [],
            // The header's alg must be the key's own algorithm (SECURITY T1, T2).
            AlgorithmValidator = (alg, key, _, _) => key is not null && _keys.Find(key.KeyId)?.Algorithm == alg,
        };
    }

    /// <summary>How many validated tokens are cached.</summary>
    public int CachedTokenCount => Volatile.Read(ref _cacheCount);

    /// <summary>Issues an access token for <paramref name="user"/> in session <paramref name="sessionId"/>, authenticated now.</summary>
    public ValueTask<IssuedAccessToken> IssueAsync(
        SentinelUser user, Guid sessionId, IReadOnlyList<string> authenticationMethods, CancellationToken cancellationToken) =>
        IssueAsync(user, sessionId, authenticationMethods, _time.GetUtcNow(), cancellationToken);

    /// <summary>
    /// Issues an access token for <paramref name="user"/> in session <paramref name="sessionId"/>, whose user last
    /// proved a credential at <paramref name="authenticatedAt"/> (the <c>auth_time</c> claim, RFC 9068 §2.2.1).
    /// </summary>
    public async ValueTask<IssuedAccessToken> IssueAsync(
        SentinelUser user, Guid sessionId, IReadOnlyList<string> authenticationMethods, DateTimeOffset authenticatedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var key = await _keys.GetSigningKeyAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var expires = now + _options.AccessTokenLifetime;
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["sub"] = user.Id.ToString(),
            ["client_id"] = _options.ClientId,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["sid"] = sessionId.ToString(),
            ["amr"] = authenticationMethods.ToArray(),
            ["auth_time"] = authenticatedAt.ToUnixTimeSeconds(),
        };
        if (user.Roles.Count > 0)
        {
            claims["role"] = user.Roles.ToArray();
        }

        if (_options.OnIssuingAccessToken is { } hook)
        {
            var hostClaims = new Dictionary<string, object>(StringComparer.Ordinal);
            await hook(new AccessTokenClaimsContext(user, sessionId, hostClaims)).ConfigureAwait(false);
            foreach (var (name, value) in hostClaims)
            {
                if (ReservedClaims.Contains(name))
                {
                    throw new InvalidOperationException($"OnIssuingAccessToken may not set the reserved claim '{name}'.");
                }

                claims[name] = value;
            }
        }

        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _options.Issuer,
            Audience = _options.EffectiveAudience,
            TokenType = TokenType,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            Claims = claims,
            SigningCredentials = key.Credentials,
        });
        return new IssuedAccessToken(token, TruncateToSeconds(expires), _options.AccessTokenLifetime);
    }

    /// <summary>Validates an access token presented on a request.</summary>
    public async ValueTask<AccessTokenValidationResult> ValidateAsync(string? token, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength)
        {
            return AccessTokenValidationResult.Fail(AccessTokenFailure.Malformed);
        }

        var now = _time.GetUtcNow();
        if (_cache.TryGetValue(token, out var cached))
        {
            var known = Check(cached, now);
            if (known.Failure == AccessTokenFailure.Expired && _cache.TryRemove(token, out _))
            {
                Interlocked.Decrement(ref _cacheCount);
            }

            return known;
        }

        if (!_keys.IsLoaded)
        {
            await _keys.RefreshNowAsync(cancellationToken).ConfigureAwait(false);
        }

        var result = await _handler.ValidateTokenAsync(token, _parameters).ConfigureAwait(false);
        if (!result.IsValid && KeyIdOf(token) is { } kid && _keys.Find(kid) is null
            && await _keys.TryLoadUnknownKeyAsync(kid, cancellationToken).ConfigureAwait(false))
        {
            // Another instance's new key (it signs at once when it could not decrypt the current one), seen here
            // before the ring's next scheduled read or a cluster message.
            result = await _handler.ValidateTokenAsync(token, _parameters).ConfigureAwait(false);
        }

        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return AccessTokenValidationResult.Fail(AccessTokenFailure.Invalid);
        }

        if (!TryRead(jwt, out var validated))
        {
            return AccessTokenValidationResult.Fail(AccessTokenFailure.Invalid);
        }

        if (validated.NotBefore - _options.ClockSkew > now)
        {
            return AccessTokenValidationResult.Fail(AccessTokenFailure.Invalid);
        }

        var checkedResult = Check(validated, now);
        if (checkedResult.Succeeded && _options.ValidatedTokenCacheSize > 0)
        {
            AddToCache(token, validated, now);
        }

        return checkedResult;
    }

    /// <summary>The <c>kid</c> of a token that failed validation, if it has a readable header.</summary>
    private static string? KeyIdOf(string token)
    {
        try
        {
            return new JsonWebToken(token).Kid;
        }
        catch (ArgumentException)
        {
            return null; // not a JWT at all
        }
    }

    private AccessTokenValidationResult Check(ValidatedAccessToken token, DateTimeOffset now)
    {
        if (now >= token.ExpiresAt + _options.ClockSkew)
        {
            return AccessTokenValidationResult.Fail(AccessTokenFailure.Expired);
        }

        return _revocations.IsRevoked(token.SessionId, token.UserId, token.IssuedAt)
            ? AccessTokenValidationResult.Fail(AccessTokenFailure.Revoked)
            : AccessTokenValidationResult.Success(token);
    }

    /// <summary>
    /// Adds a validated token in O(1): past the bound, the oldest entries make room (a token validated again after
    /// that is verified once more and cached anew). Each call also drops up to two stale entries from the head of the
    /// order (already removed, or expired), so the order stays about as long as the cache.
    /// </summary>
    private void AddToCache(string token, ValidatedAccessToken validated, DateTimeOffset now)
    {
        if (!_cache.TryAdd(token, validated))
        {
            return;
        }

        _cacheOrder.Enqueue(token);
        Interlocked.Increment(ref _cacheCount);
        for (var i = 0; i < 2 && _cacheOrder.TryPeek(out var oldest); i++)
        {
            var stale = !_cache.TryGetValue(oldest, out var entry) || now >= entry.ExpiresAt + _options.ClockSkew;
            if (!stale && Volatile.Read(ref _cacheCount) <= _options.ValidatedTokenCacheSize)
            {
                break;
            }

            if (_cacheOrder.TryDequeue(out var dequeued) && _cache.TryRemove(dequeued, out _))
            {
                Interlocked.Decrement(ref _cacheCount);
            }
        }
    }

    private static bool TryRead(JsonWebToken jwt, out ValidatedAccessToken validated)
    {
        validated = null!;
        // SECURITY T3: every one of iss exp aud sub client_id iat jti must be present (iss and aud checked above).
        if (!jwt.TryGetPayloadValue<string>("sub", out var sub) || !Guid.TryParse(sub, out var userId)
            || !jwt.TryGetPayloadValue<string>("client_id", out var clientId) || string.IsNullOrEmpty(clientId)
            || !jwt.TryGetPayloadValue<string>("jti", out var jti) || string.IsNullOrEmpty(jti)
            || !jwt.TryGetPayloadValue<string>("sid", out var sid) || !Guid.TryParse(sid, out var sessionId)
            || !jwt.TryGetPayloadValue<long>("iat", out var iat)
            || !jwt.TryGetPayloadValue<long>("exp", out var exp))
        {
            return false;
        }

        var nbf = jwt.TryGetPayloadValue<long>("nbf", out var notBefore) ? notBefore : iat;
        validated = new ValidatedAccessToken(
            userId,
            sessionId,
            clientId,
            jti,
            DateTimeOffset.FromUnixTimeSeconds(iat),
            DateTimeOffset.FromUnixTimeSeconds(nbf),
            DateTimeOffset.FromUnixTimeSeconds(exp),
            jwt);
        return true;
    }

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset value) => DateTimeOffset.FromUnixTimeSeconds(value.ToUnixTimeSeconds());
}

/// <summary>A freshly issued access token.</summary>
/// <param name="Token">The compact JWT.</param>
/// <param name="ExpiresAt">Its <c>exp</c>.</param>
/// <param name="Lifetime">How long it lives (<c>expiresIn</c>).</param>
public sealed record IssuedAccessToken(string Token, DateTimeOffset ExpiresAt, TimeSpan Lifetime);

/// <summary>What a valid access token says. The claim lists are built on first use (most requests need none).</summary>
public sealed class ValidatedAccessToken
{
    private readonly JsonWebToken _jwt;
    private IReadOnlyList<Claim>? _claims;
    private IReadOnlyList<string>? _roles;
    private IReadOnlyList<string>? _methods;

    internal ValidatedAccessToken(
        Guid userId, Guid sessionId, string clientId, string tokenId, DateTimeOffset issuedAt, DateTimeOffset notBefore, DateTimeOffset expiresAt, JsonWebToken jwt)
    {
        UserId = userId;
        SessionId = sessionId;
        ClientId = clientId;
        TokenId = tokenId;
        IssuedAt = issuedAt;
        NotBefore = notBefore;
        ExpiresAt = expiresAt;
        _jwt = jwt;
    }

    /// <summary>The <c>sub</c>.</summary>
    public Guid UserId { get; }

    /// <summary>The <c>sid</c>.</summary>
    public Guid SessionId { get; }

    /// <summary>The <c>client_id</c>.</summary>
    public string ClientId { get; }

    /// <summary>The <c>jti</c>.</summary>
    public string TokenId { get; }

    /// <summary>The <c>iat</c>.</summary>
    public DateTimeOffset IssuedAt { get; }

    /// <summary>The <c>nbf</c> (or <c>iat</c>).</summary>
    public DateTimeOffset NotBefore { get; }

    /// <summary>The <c>exp</c>.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>
    /// The <c>auth_time</c>: when the user last proved a credential (null for a token issued before Sentinel set it).
    /// A refresh keeps it, so it says how fresh the sign-in is, not the token (SECURITY T11).
    /// </summary>
    public DateTimeOffset? AuthenticatedAt => _jwt.TryGetPayloadValue<long>("auth_time", out var at) ? DateTimeOffset.FromUnixTimeSeconds(at) : null;

    /// <summary>Every claim of the payload, unmapped.</summary>
    public IReadOnlyList<Claim> Claims => _claims ??= [.. _jwt.Claims];

    /// <summary>The <c>role</c> values.</summary>
    public IReadOnlyList<string> Roles => _roles ??= ValuesOf("role");

    /// <summary>The <c>amr</c> values.</summary>
    public IReadOnlyList<string> AuthenticationMethods => _methods ??= ValuesOf("amr");

    private string[] ValuesOf(string type) => Claims.Where(c => c.Type == type).Select(c => c.Value).ToArray();
}

/// <summary>Why an access token was refused.</summary>
public enum AccessTokenFailure
{
    /// <summary>Not refused.</summary>
    None,
    /// <summary>Empty or too long.</summary>
    Malformed,
    /// <summary>Bad signature, algorithm, type, issuer, audience, key, or missing claims.</summary>
    Invalid,
    /// <summary>Past <c>exp</c> plus the skew.</summary>
    Expired,
    /// <summary>Its session was revoked, or its user's tokens were.</summary>
    Revoked,
}

/// <summary>The outcome of <see cref="AccessTokenService.ValidateAsync"/>.</summary>
public sealed class AccessTokenValidationResult
{
    private static readonly AccessTokenValidationResult[] Failures =
        Enum.GetValues<AccessTokenFailure>().Select(f => new AccessTokenValidationResult(null, f)).ToArray();

    private AccessTokenValidationResult(ValidatedAccessToken? token, AccessTokenFailure failure)
    {
        Token = token;
        Failure = failure;
    }

    /// <summary>The token's content when valid.</summary>
    public ValidatedAccessToken? Token { get; }

    /// <summary>Why it was refused, or <see cref="AccessTokenFailure.None"/>.</summary>
    public AccessTokenFailure Failure { get; }

    /// <summary>True when the token is valid.</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(Token))]
    public bool Succeeded => Token is not null;

    internal static AccessTokenValidationResult Success(ValidatedAccessToken token) => new(token, AccessTokenFailure.None);

    internal static AccessTokenValidationResult Fail(AccessTokenFailure failure) => Failures[(int)failure];
}
