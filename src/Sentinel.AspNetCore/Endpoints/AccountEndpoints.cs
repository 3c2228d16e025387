using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sentinel.AspNetCore.Authentication;
using Sentinel.AspNetCore.Endpoints.Contracts;
using Sentinel.AspNetCore.Http;
using Sentinel.AspNetCore.RateLimiting;
using Sentinel.Audit;
using Sentinel.Mfa;
using Sentinel.Sessions;
using Sentinel.Users;

namespace Sentinel.AspNetCore.Endpoints;

/// <summary>The account: <c>POST /register</c>, <c>GET /me</c>, <c>POST /password</c>, <c>GET /sessions</c>, <c>DELETE /sessions/{id}</c>.</summary>
internal static class AccountEndpoints
{
    public static RouteGroupBuilder MapAccountEndpoints(this RouteGroupBuilder group)
    {
        group.MapPost("/register", RegisterAsync)
            .RequireRateLimiting(SentinelRateLimiting.RegistrationPolicy)
            .Accepts<RegisterRequest>("application/json")
            .Produces<RegisterResponse>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("SentinelRegister")
            .WithSummary("Creates an account.");

        group.MapGet("/me", MeAsync)
            .RequireAuthorization(SentinelAuthenticationDefaults.UserPolicy)
            .Produces<MeResponse>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("SentinelMe")
            .WithSummary("The signed-in user.");

        group.MapPost("/password", ChangePasswordAsync)
            .RequireAuthorization(SentinelAuthenticationDefaults.UserPolicy)
            .Accepts<ChangePasswordRequest>("application/json")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("SentinelChangePassword")
            .WithSummary("Changes the password; every other session is revoked.");

        group.MapGet("/sessions", ListSessionsAsync)
            .RequireAuthorization(SentinelAuthenticationDefaults.UserPolicy)
            .Produces<SessionResponse[]>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("SentinelListSessions")
            .WithSummary("The user's active sessions, newest first.");

        group.MapDelete("/sessions/{id:guid}", RevokeSessionAsync)
            .RequireAuthorization(SentinelAuthenticationDefaults.UserPolicy)
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("SentinelRevokeSession")
            .WithSummary("Revokes one of the user's sessions; its access tokens stop working at once.");
        return group;
    }

    private static async Task<IResult> RegisterAsync(HttpContext http, UserService users)
    {
        var (body, error) = await SentinelRequestReader.ReadAsync(http, SentinelJsonContext.Default.RegisterRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if ((SentinelRequestReader.CheckText("email", body!.Email, 320) ?? SentinelRequestReader.CheckText("password", body.Password, 1024)) is { } invalid)
        {
            return invalid;
        }

        var result = await users.RegisterAsync(body.Email, body.Password, http.ClientInfo(), http.RequestAborted).ConfigureAwait(false);
        if (!result.TryGetValue(out var user))
        {
            return SentinelProblems.ToResult(result.Error!);
        }

        return TypedResults.Json(new RegisterResponse(user.Id, user.Email, user.CreatedAt), SentinelJsonContext.Default.RegisterResponse,
            statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> MeAsync(HttpContext http, UserService users, MfaService mfa)
    {
        var user = await users.FindByIdAsync(http.User.UserId(), http.RequestAborted).ConfigureAwait(false);
        if (user is null)
        {
            return SentinelProblems.ToResult(new SentinelError(SentinelErrorCode.NotFound, "The user no longer exists."));
        }

        var mfaEnabled = await mfa.IsEnabledAsync(user.Id, http.RequestAborted).ConfigureAwait(false);
        return TypedResults.Json(new MeResponse(user.Id, user.Email, user.Roles, mfaEnabled, user.CreatedAt, user.PasswordHash.Length > 0), SentinelJsonContext.Default.MeResponse);
    }

    private static async Task<IResult> ChangePasswordAsync(HttpContext http, UserService users, Microsoft.AspNetCore.Authorization.IAuthorizationService authorization)
    {
        var (body, error) = await SentinelRequestReader.ReadAsync(http, SentinelJsonContext.Default.ChangePasswordRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if ((SentinelRequestReader.CheckText("currentPassword", body!.CurrentPassword, 1024) ?? SentinelRequestReader.CheckText("newPassword", body.NewPassword, 1024)) is { } invalid)
        {
            return invalid;
        }

        SentinelResult result;
        if (body.CurrentPassword is null)
        {
            // An account without a password (a passkey sign-up) sets its first one. There is no current password
            // to prove, so the sign-in must be recent (SECURITY T11); an account with a password must send it.
            var user = await users.FindByIdAsync(http.User.UserId(), http.RequestAborted).ConfigureAwait(false);
            if (user is { PasswordHash.Length: 0 }
                && !(await authorization.AuthorizeAsync(http.User, null, [RecentAuthenticationRequirement.Default]).ConfigureAwait(false)).Succeeded)
            {
                return RecentAuthenticationResponses.Required(http);
            }

            result = user is { PasswordHash.Length: > 0 }
                ? SentinelResult.Failure(SentinelError.Validation("currentPassword", "The current password is required."))
                : await users.AddPasswordAsync(http.User.UserId(), body.NewPassword, http.User.SessionId(), http.ClientInfo(), http.RequestAborted).ConfigureAwait(false);
        }
        else
        {
            result = await users.ChangePasswordAsync(http.User.UserId(), body.CurrentPassword, body.NewPassword, http.User.SessionId(), http.ClientInfo(), http.RequestAborted)
                .ConfigureAwait(false);
        }

        return result.Succeeded ? TypedResults.NoContent() : SentinelProblems.ToResult(result.Error!);
    }

    private static async Task<IResult> ListSessionsAsync(HttpContext http, SessionService sessions)
    {
        var current = http.User.SessionId();
        var list = await sessions.ListAsync(http.User.UserId(), http.RequestAborted).ConfigureAwait(false);
        var response = list.Select(s => new SessionResponse(s.Id, s.CreatedAt, s.LastUsedAt, s.ExpiresAt, s.IpAddress, s.UserAgent, s.Id == current)).ToArray();
        return TypedResults.Json(response, SentinelJsonContext.Default.SessionResponseArray);
    }

    private static async Task<IResult> RevokeSessionAsync(Guid id, HttpContext http, SessionService sessions)
    {
        var result = await sessions.RevokeSessionAsync(http.User.UserId(), id, AuditEventTypes.SessionRevoked, http.ClientInfo(), http.RequestAborted).ConfigureAwait(false);
        return result.Succeeded ? TypedResults.NoContent() : SentinelProblems.ToResult(result.Error!);
    }
}
