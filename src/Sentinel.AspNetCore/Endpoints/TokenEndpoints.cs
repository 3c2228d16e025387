using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Sentinel.AspNetCore.Authentication;
using Sentinel.AspNetCore.Endpoints.Contracts;
using Sentinel.AspNetCore.Http;
using Sentinel.AspNetCore.RateLimiting;
using Sentinel.Audit;
using Sentinel.Sessions;
using Sentinel.SignIn;

namespace Sentinel.AspNetCore.Endpoints;

/// <summary>Sign-in, re-authentication, refresh and logout: <c>POST /login</c>, <c>/login/mfa</c>, <c>/reauthenticate</c>, <c>/refresh</c>, <c>/logout</c>, <c>/logout/all</c>.</summary>
internal static class TokenEndpoints
{
    public static RouteGroupBuilder MapTokenEndpoints(this RouteGroupBuilder group)
    {
        group.MapPost("/login", LoginAsync)
            .RequireRateLimiting(SentinelRateLimiting.SignInPolicy)
            .Accepts<LoginRequest>("application/json")
            .Produces<AccessTokenResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithName("SentinelLogin")
            .WithSummary("Signs in with email and password; returns an access token and a refresh token.");

        group.MapPost("/login/mfa", LoginMfaAsync)
            .RequireRateLimiting(SentinelRateLimiting.SignInPolicy)
            .Accepts<LoginMfaRequest>("application/json")
            .Produces<AccessTokenResponse>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithName("SentinelLoginMfa")
            .WithSummary("Completes an MFA sign-in with the challenge token and a TOTP or recovery code.");

        group.MapPost("/reauthenticate", ReauthenticateAsync)
            .RequireAuthorization(SentinelAuthenticationDefaults.UserPolicy)
            .RequireRateLimiting(SentinelRateLimiting.SignInPolicy)
            .Accepts<ReauthenticateRequest>("application/json")
            .Produces<AccessTokenResponse>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithName("SentinelReauthenticate")
            .WithSummary("Proves the password (and the second factor) again; returns fresh tokens for the same session, with a new auth_time.");

        group.MapPost("/refresh", RefreshAsync)
            .RequireRateLimiting(SentinelRateLimiting.RefreshPolicy)
            .Accepts<RefreshRequest>("application/json")
            .Produces<AccessTokenResponse>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("SentinelRefresh")
            .WithSummary("Spends a refresh token and returns the next token pair.");

        group.MapPost("/logout", LogoutAsync)
            .RequireAuthorization(SentinelAuthenticationDefaults.UserPolicy)
            .Accepts<LogoutRequest>("application/json")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("SentinelLogout")
            .WithSummary("Ends the calling session; its access tokens stop working at once.");

        group.MapPost("/logout/all", LogoutAllAsync)
            .RequireAuthorization(SentinelAuthenticationDefaults.UserPolicy)
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("SentinelLogoutAll")
            .WithSummary("Ends every session of the user.");
        return group;
    }

    private static async Task<IResult> LoginAsync(HttpContext http, SignInService signIn)
    {
        var (body, error) = await SentinelRequestReader.ReadAsync(http, SentinelJsonContext.Default.LoginRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if ((SentinelRequestReader.CheckText("email", body!.Email, 320) ?? SentinelRequestReader.CheckText("password", body.Password, 1024)
            ?? SentinelRequestReader.CheckText("deviceToken", body.DeviceToken, 128)) is { } invalid)
        {
            return invalid;
        }

        // With a code, the one-step form, as ASP.NET Core Identity's /login takes it.
        var result = await signIn.PasswordSignInAsync(
            body.Email, body.Password, new SecondFactorCode(body.TwoFactorCode, body.TwoFactorRecoveryCode), http.ClientInfo(), body.DeviceToken, http.RequestAborted).ConfigureAwait(false);
        return SignInResponse(result);
    }

    private static async Task<IResult> LoginMfaAsync(HttpContext http, SignInService signIn)
    {
        var (body, error) = await SentinelRequestReader.ReadAsync(http, SentinelJsonContext.Default.LoginMfaRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var result = await signIn.CompleteSecondFactorAsync(body!.MfaToken, body.Code, body.RecoveryCode, http.ClientInfo(), http.RequestAborted).ConfigureAwait(false);
        return SignInResponse(result);
    }

    private static async Task<IResult> ReauthenticateAsync(HttpContext http, SignInService signIn)
    {
        var (body, error) = await SentinelRequestReader.ReadAsync(http, SentinelJsonContext.Default.ReauthenticateRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (SentinelRequestReader.CheckText("password", body!.Password, 1024) is { } invalid)
        {
            return invalid;
        }

        if (http.User.SessionId() is not { } sessionId)
        {
            return SentinelProblems.ToResult(new SentinelError(SentinelErrorCode.InvalidCredentials, "This access token belongs to no session; sign in again."));
        }

        if (body.Passkey is { } passkey)
        {
            var withPasskey = await signIn.ReauthenticateWithPasskeyAsync(http.User.UserId(), sessionId, passkey.GetRawText(), http.ClientInfo(), http.RequestAborted)
                .ConfigureAwait(false);
            return PasskeyEndpoints.SignInResponse(withPasskey);
        }

        var result = await signIn.ReauthenticateAsync(
            http.User.UserId(), sessionId, body.Password, new SecondFactorCode(body.Code, body.RecoveryCode), http.ClientInfo(), http.RequestAborted).ConfigureAwait(false);
        return SignInResponse(result);
    }

    internal static IResult SignInResponse(SignInResult result) => result switch
    {
        SignInResult.Success success => TokenResponse(success.Tokens, success.DeviceToken),
        SignInResult.SecondFactorRequired challenge => SentinelProblems.MfaRequired(challenge.MfaToken),
        SignInResult.LockedOut or SignInResult.EmailNotConfirmed or SignInResult.Failure => SentinelProblems.ToResult(result.Error!),
        _ => throw new InvalidOperationException("Unknown sign-in result."),
    };

    private static async Task<IResult> RefreshAsync(HttpContext http, SessionService sessions)
    {
        var (body, error) = await SentinelRequestReader.ReadAsync(http, SentinelJsonContext.Default.RefreshRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var result = await sessions.RefreshAsync(body!.RefreshToken, http.ClientInfo(), http.RequestAborted).ConfigureAwait(false);
        return result.TryGetValue(out var pair) ? TokenResponse(pair) : SentinelProblems.ToResult(result.Error!);
    }

    private static async Task<IResult> LogoutAsync(HttpContext http, SessionService sessions)
    {
        var (_, error) = await SentinelRequestReader.ReadAsync(http, SentinelJsonContext.Default.LogoutRequest, allowEmpty: true).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (http.User.SessionId() is { } sessionId)
        {
            await sessions.RevokeSessionAsync(http.User.UserId(), sessionId, AuditEventTypes.Logout, http.ClientInfo(), http.RequestAborted).ConfigureAwait(false);
        }

        return TypedResults.NoContent();
    }

    private static async Task<IResult> LogoutAllAsync(HttpContext http, SessionService sessions, AuditRecorder audit)
    {
        var userId = http.User.UserId();
        await sessions.RevokeEverywhereAsync(userId, "logout_all", http.RequestAborted).ConfigureAwait(false);
        await audit.RecordAsync(AuditEventTypes.LogoutAll, AuditOutcome.Success, userId, http.ClientInfo(), http.RequestAborted, sessionId: http.User.SessionId()).ConfigureAwait(false);
        return TypedResults.NoContent();
    }

    internal static JsonHttpResult<AccessTokenResponse> TokenResponse(TokenPair pair, string? deviceToken = null, int? statusCode = null) =>
        TypedResults.Json(
            new AccessTokenResponse("Bearer", pair.AccessToken, (long)pair.ExpiresIn.TotalSeconds, pair.RefreshToken) { DeviceToken = deviceToken },
            SentinelJsonContext.Default.AccessTokenResponse,
            statusCode: statusCode);
}
