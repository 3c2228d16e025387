using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sentinel.AspNetCore.Authentication;
using Sentinel.AspNetCore.Endpoints.Contracts;
using Sentinel.AspNetCore.Http;
using Sentinel.Mfa;

namespace Sentinel.AspNetCore.Endpoints;

/// <summary>Two-factor: <c>GET /mfa</c>, <c>POST /mfa/totp/setup|confirm|disable</c>, <c>POST /mfa/recovery-codes</c>.</summary>
internal static class MfaEndpoints
{
    public static RouteGroupBuilder MapMfaEndpoints(this RouteGroupBuilder group)
    {
        var mfa = group.MapGroup("/mfa").RequireAuthorization(SentinelAuthenticationDefaults.UserPolicy);

        mfa.MapGet("/", StatusAsync)
            .Produces<MfaStatusResponse>()
            .WithName("SentinelMfaStatus")
            .WithSummary("Whether two-factor is on, a setup is pending, and how many recovery codes are left.");

        // Setting up, confirming and turning off two-factor and new recovery codes are *recent* (SECURITY T11): a
        // stolen access token alone must not enrol the thief's authenticator or learn the recovery codes.
        mfa.MapPost("/totp/setup", SetupAsync)
            .RequireRecentAuthentication()
            .Produces<TotpSetupResponse>()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("SentinelMfaSetup")
            .WithSummary("Starts authenticator enrolment: shared key, otpauth URI and its QR code. MFA stays off until confirmed.");

        mfa.MapPost("/totp/confirm", ConfirmAsync)
            .RequireRecentAuthentication()
            .Accepts<MfaCodeRequest>("application/json")
            .Produces<RecoveryCodesResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("SentinelMfaConfirm")
            .WithSummary("Confirms enrolment with a first code; returns 10 recovery codes, shown once.");

        mfa.MapPost("/totp/disable", DisableAsync)
            .RequireRecentAuthentication()
            .Accepts<MfaDisableRequest>("application/json")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("SentinelMfaDisable")
            .WithSummary("Turns two-factor off; needs the password and a code.");

        mfa.MapPost("/recovery-codes", RegenerateAsync)
            .RequireRecentAuthentication()
            .Accepts<MfaCodeRequest>("application/json")
            .Produces<RecoveryCodesResponse>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("SentinelMfaRecoveryCodes")
            .WithSummary("Replaces the recovery codes; the old ones stop working.");
        return group;
    }

    private static async Task<IResult> StatusAsync(HttpContext http, MfaService mfa)
    {
        var status = await mfa.GetStatusAsync(http.User.UserId(), http.RequestAborted).ConfigureAwait(false);
        return TypedResults.Json(new MfaStatusResponse(status.Enabled, status.PendingSetup, status.RecoveryCodesLeft), SentinelJsonContext.Default.MfaStatusResponse);
    }

    private static async Task<IResult> SetupAsync(HttpContext http, MfaService mfa)
    {
        var result = await mfa.BeginSetupAsync(http.User.UserId(), http.RequestAborted).ConfigureAwait(false);
        if (!result.TryGetValue(out var setup))
        {
            return SentinelProblems.ToResult(result.Error!);
        }

        // The secret is shown this once; never cache it anywhere on the way.
        http.Response.Headers.CacheControl = "no-store";
        var png = "data:image/png;base64," + Convert.ToBase64String(setup.QrCodePng);
        return TypedResults.Json(new TotpSetupResponse(setup.SharedKey, setup.OtpAuthUri, png), SentinelJsonContext.Default.TotpSetupResponse);
    }

    private static async Task<IResult> ConfirmAsync(HttpContext http, MfaService mfa)
    {
        var (body, error) = await SentinelRequestReader.ReadAsync(http, SentinelJsonContext.Default.MfaCodeRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var result = await mfa.ConfirmSetupAsync(http.User.UserId(), body!.Code, http.ClientInfo(), http.RequestAborted).ConfigureAwait(false);
        return CodesOrProblem(http, result);
    }

    private static async Task<IResult> DisableAsync(HttpContext http, MfaService mfa)
    {
        var (body, error) = await SentinelRequestReader.ReadAsync(http, SentinelJsonContext.Default.MfaDisableRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var result = await mfa.DisableAsync(http.User.UserId(), body!.Password, body.Code, body.RecoveryCode, http.ClientInfo(), http.RequestAborted).ConfigureAwait(false);
        return result.Succeeded ? TypedResults.NoContent() : SentinelProblems.ToResult(result.Error!);
    }

    private static async Task<IResult> RegenerateAsync(HttpContext http, MfaService mfa)
    {
        var (body, error) = await SentinelRequestReader.ReadAsync(http, SentinelJsonContext.Default.MfaCodeRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var result = await mfa.RegenerateRecoveryCodesAsync(http.User.UserId(), body!.Code, http.ClientInfo(), http.RequestAborted).ConfigureAwait(false);
        return CodesOrProblem(http, result);
    }

    private static IResult CodesOrProblem(HttpContext http, SentinelResult<IReadOnlyList<string>> result)
    {
        if (!result.TryGetValue(out var codes))
        {
            return SentinelProblems.ToResult(result.Error!);
        }

        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Json(new RecoveryCodesResponse(codes), SentinelJsonContext.Default.RecoveryCodesResponse);
    }
}
