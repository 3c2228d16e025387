using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sentinel.AspNetCore.Endpoints.Contracts;
using Sentinel.AspNetCore.Http;
using Sentinel.AspNetCore.RateLimiting;
using Sentinel.Email;

namespace Sentinel.AspNetCore.Endpoints;

/// <summary>
/// Account recovery: <c>POST /email/confirm</c>, <c>POST /email/resend</c>, <c>POST /password/forgot</c>,
/// <c>POST /password/reset</c>. Resend and forgot answer 202 at once for every address (the work is queued).
/// </summary>
internal static class EmailEndpoints
{
    public static RouteGroupBuilder MapEmailEndpoints(this RouteGroupBuilder group)
    {
        group.MapPost("/email/confirm", ConfirmAsync)
            .Accepts<TokenRequest>("application/json")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithName("SentinelConfirmEmail")
            .WithSummary("Confirms the email address with the token from the confirmation email.");

        group.MapPost("/email/resend", ResendAsync)
            .RequireRateLimiting(SentinelRateLimiting.AccountRecoveryPolicy)
            .Accepts<EmailRequest>("application/json")
            .Produces(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithName("SentinelResendConfirmation")
            .WithSummary("Sends a new confirmation email if the address has an unconfirmed account; 202 either way.");

        group.MapPost("/password/forgot", ForgotAsync)
            .RequireRateLimiting(SentinelRateLimiting.AccountRecoveryPolicy)
            .Accepts<EmailRequest>("application/json")
            .Produces(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithName("SentinelForgotPassword")
            .WithSummary("Sends a password reset email if the address has an account; 202 either way, in the same time.");

        group.MapPost("/password/reset", ResetAsync)
            .Accepts<ResetPasswordRequest>("application/json")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithName("SentinelResetPassword")
            .WithSummary("Sets a new password with the emailed token; every session is revoked.");
        return group;
    }

    private static async Task<IResult> ConfirmAsync(HttpContext http, AccountRecoveryService recovery)
    {
        var (body, error) = await SentinelRequestReader.ReadAsync(http, SentinelJsonContext.Default.TokenRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var result = await recovery.ConfirmEmailAsync(body!.Token, http.ClientInfo(), http.RequestAborted).ConfigureAwait(false);
        return result.Succeeded ? TypedResults.NoContent() : SentinelProblems.ToResult(result.Error!);
    }

    private static async Task<IResult> ResendAsync(HttpContext http, AccountRecoveryService recovery)
    {
        var (body, error) = await SentinelRequestReader.ReadAsync(http, SentinelJsonContext.Default.EmailRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var queued = recovery.RequestEmailConfirmation(body!.Email, http.ClientInfo());
        return queued.Succeeded ? TypedResults.Accepted((string?)null) : SentinelProblems.ToResult(queued.Error!);
    }

    private static async Task<IResult> ForgotAsync(HttpContext http, AccountRecoveryService recovery)
    {
        var (body, error) = await SentinelRequestReader.ReadAsync(http, SentinelJsonContext.Default.EmailRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var queued = recovery.RequestPasswordReset(body!.Email, http.ClientInfo());
        return queued.Succeeded ? TypedResults.Accepted((string?)null) : SentinelProblems.ToResult(queued.Error!);
    }

    private static async Task<IResult> ResetAsync(HttpContext http, AccountRecoveryService recovery)
    {
        var (body, error) = await SentinelRequestReader.ReadAsync(http, SentinelJsonContext.Default.ResetPasswordRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var result = await recovery.ResetPasswordAsync(body!.Token, body.NewPassword, http.ClientInfo(), http.RequestAborted).ConfigureAwait(false);
        return result.Succeeded ? TypedResults.NoContent() : SentinelProblems.ToResult(result.Error!);
    }
}
