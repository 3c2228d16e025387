using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Sentinel.ApiKeys;
using Sentinel.AspNetCore.Http;

namespace Sentinel.AspNetCore.Authentication;

/// <summary>Options of the <see cref="SentinelAuthenticationDefaults.ApiKeyScheme"/> scheme.</summary>
public sealed class SentinelApiKeyOptions : AuthenticationSchemeOptions;

/// <summary>
/// Authenticates <c>X-Api-Key</c> or <c>Authorization: ApiKey</c> (never the query string, SECURITY K1) through
/// <see cref="ApiKeyService"/>. Failures answer 401 <c>invalid_api_key</c>; a key over its rate limit 429
/// <c>rate_limited</c> with <c>Retry-After</c>.
/// </summary>
internal sealed class SentinelApiKeyHandler(IOptionsMonitor<SentinelApiKeyOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<SentinelApiKeyOptions>(options, logger, encoder)
{
    public const string HeaderName = "X-Api-Key";
    private const string AuthorizationPrefix = "ApiKey ";

    private ApiKeyVerification? _failure;

    /// <summary>The key a request presents, if any.</summary>
    public static string? ReadKey(HttpRequest request)
    {
        if (request.Headers.TryGetValue(HeaderName, out var header) && header.Count > 0)
        {
            return header.ToString().Trim();
        }

        string? authorization = request.Headers.Authorization;
        return authorization is not null && authorization.StartsWith(AuthorizationPrefix, StringComparison.OrdinalIgnoreCase)
            ? authorization[AuthorizationPrefix.Length..].Trim()
            : null;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = ReadKey(Request);
        if (key is null)
        {
            return AuthenticateResult.NoResult();
        }

        // The singleton verifier: a cached key resolves no store, so no database context is rented per request.
        var verifier = Context.RequestServices.GetRequiredService<ApiKeyVerifier>();
        var verification = await verifier.VerifyAsync(key, Context.ClientInfo(), Context.RequestServices, Context.RequestAborted).ConfigureAwait(false);
        if (verification.Outcome != ApiKeyVerificationOutcome.Valid || verification.Key is not { } valid)
        {
            _failure = verification;
            return AuthenticateResult.Fail("The API key is not valid.");
        }

        var claims = new List<Claim>(valid.Scopes.Count + 2)
        {
            new("sub", valid.UserId.ToString()),
            new(SentinelAuthenticationDefaults.ApiKeyIdClaim, valid.Id.ToString()),
        };
        claims.AddRange(valid.Scopes.Select(s => new Claim(SentinelAuthenticationDefaults.ScopeClaim, s)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name, "sub", "role"));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (_failure is { Outcome: ApiKeyVerificationOutcome.RateLimited } limited)
        {
            return SentinelProblems.WriteAsync(Context, StatusCodes.Status429TooManyRequests, SentinelErrorCode.RateLimited,
                "This API key has made too many requests; retry later.", limited.RetryAfter);
        }

        Response.Headers.Append(HeaderNames.WWWAuthenticate, "ApiKey");
        return SentinelProblems.WriteAsync(Context, StatusCodes.Status401Unauthorized, SentinelErrorCode.InvalidApiKey,
            "The API key is missing, malformed, unknown, revoked or expired.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        SentinelProblems.WriteAsync(Context, StatusCodes.Status403Forbidden, SentinelErrorCode.Forbidden, "You are not allowed to do this.");
}
