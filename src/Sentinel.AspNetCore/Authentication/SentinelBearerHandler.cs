using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Sentinel.AspNetCore.Http;
using Sentinel.Tokens;

namespace Sentinel.AspNetCore.Authentication;

/// <summary>
/// Authenticates <c>Authorization: Bearer</c> access tokens through <see cref="AccessTokenService"/>: signature,
/// claims, lifetime and revocation on every request. Challenges answer 401 problem details with
/// <c>WWW-Authenticate: Bearer</c> (RFC 6750).
/// </summary>
internal sealed class SentinelBearerHandler(
    IOptionsMonitor<SentinelBearerOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    AccessTokenService tokens)
    : AuthenticationHandler<SentinelBearerOptions>(options, logger, encoder)
{
    private static readonly AuthenticateResult NoToken = AuthenticateResult.NoResult();
    private static readonly AuthenticateResult InvalidToken = AuthenticateResult.Fail("The access token is not valid.");
    private static readonly AuthenticateResult ExpiredToken = AuthenticateResult.Fail("The access token has expired.");
    private static readonly AuthenticateResult RevokedToken = AuthenticateResult.Fail("The access token has been revoked.");

    private bool _tokenPresented;

    /// <summary>The events of this request: the options' instance, or one resolved from <c>EventsType</c>.</summary>
    private new SentinelBearerEvents Events => (SentinelBearerEvents)base.Events!;

    protected override Task<object> CreateEventsAsync() => Task.FromResult<object>(new SentinelBearerEvents());

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? authorization = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(authorization) || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return NoToken;
        }

        _tokenPresented = true;
        var token = authorization["Bearer ".Length..].Trim();
        var result = await tokens.ValidateAsync(token, Context.RequestAborted).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return result.Failure switch
            {
                AccessTokenFailure.Expired => ExpiredToken,
                AccessTokenFailure.Revoked => RevokedToken,
                _ => InvalidToken,
            };
        }

        var identity = new ClaimsIdentity(result.Token.Claims, Scheme.Name, "sub", "role");
        var principal = new ClaimsPrincipal(identity);
        await Events.TokenValidated(Context, principal).ConfigureAwait(false);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.Append(HeaderNames.WWWAuthenticate, _tokenPresented ? "Bearer error=\"invalid_token\"" : "Bearer");
        return SentinelProblems.WriteAsync(Context, StatusCodes.Status401Unauthorized, SentinelErrorCode.InvalidToken,
            _tokenPresented ? "The access token is missing, malformed, expired or revoked." : "This endpoint needs an access token.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        SentinelProblems.WriteAsync(Context, StatusCodes.Status403Forbidden, SentinelErrorCode.Forbidden, "You are not allowed to do this.");
}
