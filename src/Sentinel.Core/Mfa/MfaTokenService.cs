using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Sentinel.Tokens;

namespace Sentinel.Mfa;

/// <summary>
/// MFA challenge tokens: JWTs of their own type (<c>mfa+jwt</c>), so that one is never accepted as an access
/// token nor an access token as one (SECURITY T4). Their server side, <see cref="MfaChallenge"/>, makes them single
/// use and limits wrong codes.
/// </summary>
public sealed class MfaTokenService
{
    /// <summary>The <c>typ</c> header of MFA tokens.</summary>
    public const string TokenType = "mfa+jwt";

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false, SetDefaultTimesOnTokenCreation = false };
    private readonly SigningKeyRing _keys;
    private readonly TokenOptions _tokens;
    private readonly TimeProvider _time;
    private readonly TokenValidationParameters _parameters;

    /// <summary>Creates the service.</summary>
    public MfaTokenService(SigningKeyRing keys, IOptions<SentinelOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _keys = keys;
        _tokens = options.Value.Tokens;
        _time = time;
        _parameters = new TokenValidationParameters
        {
            ValidIssuer = _tokens.Issuer,
            ValidAudience = _tokens.EffectiveAudience,
            ValidTypes = [TokenType],
            ValidateLifetime = false, // the challenge row holds the authoritative expiry, on the injected clock
            RequireSignedTokens = true,
            TryAllIssuerSigningKeys = false,
            IssuerSigningKeyResolver = (_, _, kid, _) => _keys.Find(kid) is { } key ? [key.Key] : [],
            AlgorithmValidator = (alg, key, _, _) => key is not null && _keys.Find(key.KeyId)?.Algorithm == alg,
        };
    }

    /// <summary>Signs a token for <paramref name="challenge"/>.</summary>
    public async ValueTask<string> IssueAsync(MfaChallenge challenge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        var key = await _keys.GetSigningKeyAsync(cancellationToken).ConfigureAwait(false);
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _tokens.Issuer,
            Audience = _tokens.EffectiveAudience,
            TokenType = TokenType,
            IssuedAt = challenge.CreatedAt.UtcDateTime,
            NotBefore = challenge.CreatedAt.UtcDateTime,
            Expires = challenge.ExpiresAt.UtcDateTime,
            Claims = new Dictionary<string, object>
            {
                ["sub"] = challenge.UserId.ToString(),
                ["jti"] = challenge.Id.ToString(),
            },
            SigningCredentials = key.Credentials,
        });
    }

    /// <summary>The challenge id and user of a genuine, unexpired MFA token; null otherwise.</summary>
    public async ValueTask<(Guid ChallengeId, Guid UserId)?> ReadAsync(string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 4096)
        {
            return null;
        }

        if (!_keys.IsLoaded)
        {
            await _keys.RefreshNowAsync(cancellationToken).ConfigureAwait(false);
        }

        var result = await _handler.ValidateTokenAsync(token, _parameters).ConfigureAwait(false);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt
            || !jwt.TryGetPayloadValue<string>("jti", out var jti) || !Guid.TryParse(jti, out var challengeId)
            || !jwt.TryGetPayloadValue<string>("sub", out var sub) || !Guid.TryParse(sub, out var userId)
            || !jwt.TryGetPayloadValue<long>("exp", out var exp)
            || _time.GetUtcNow() >= DateTimeOffset.FromUnixTimeSeconds(exp))
        {
            return null;
        }

        return (challengeId, userId);
    }
}
