using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sentinel.AspNetCore.Authentication;
using Sentinel.AspNetCore.Endpoints.Contracts;
using Sentinel.AspNetCore.Http;
using Sentinel.AspNetCore.RateLimiting;
using Sentinel.Passkeys;
using Sentinel.SignIn;

namespace Sentinel.AspNetCore.Endpoints;

/// <summary>
/// Passkeys (WebAuthn Level 3) over JSON: <c>/passkeys/register/options</c>, <c>/passkeys/register</c>,
/// <c>GET|PATCH|DELETE /passkeys</c>, <c>/passkeys/login/options</c>, <c>/passkeys/login</c>,
/// <c>/register/passkey/options</c>, <c>/register/passkey</c>. Options go out and credentials come back in the
/// WebAuthn JSON forms, so a page hands them to <c>navigator.credentials</c> unchanged.
/// </summary>
internal static class PasskeyEndpoints
{
    public static RouteGroupBuilder MapPasskeyEndpoints(this RouteGroupBuilder group)
    {
        var passkeys = group.MapGroup("/passkeys");

        // Adding a passkey is *recent* (SECURITY T11): a stolen access token alone must not add the thief's passkey.
        passkeys.MapPost("/register/options", RegistrationOptionsAsync)
            .RequireAuthorization(SentinelAuthenticationDefaults.UserPolicy)
            .RequireRecentAuthentication()
            .Produces<JsonElement>(contentType: "application/json")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("SentinelPasskeyRegistrationOptions")
            .WithSummary("Creation options (PublicKeyCredentialCreationOptionsJSON) for a new passkey of the signed-in user.");

        passkeys.MapPost("/register", RegisterAsync)
            .RequireAuthorization(SentinelAuthenticationDefaults.UserPolicy)
            .RequireRecentAuthentication()
            .Accepts<PasskeyRegistrationRequest>("application/json")
            .Produces<PasskeyResponse>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("SentinelPasskeyRegister")
            .WithSummary("Verifies the browser's RegistrationResponseJSON and adds the passkey.");

        passkeys.MapGet("/", ListAsync)
            .RequireAuthorization(SentinelAuthenticationDefaults.UserPolicy)
            .Produces<PasskeyResponse[]>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithName("SentinelPasskeys")
            .WithSummary("The signed-in user's passkeys, oldest first.");

        passkeys.MapPatch("/{id:guid}", RenameAsync)
            .RequireAuthorization(SentinelAuthenticationDefaults.UserPolicy)
            .Accepts<PasskeyRenameRequest>("application/json")
            .Produces<PasskeyResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("SentinelPasskeyRename")
            .WithSummary("Renames one of the user's passkeys.");

        passkeys.MapDelete("/{id:guid}", DeleteAsync)
            .RequireAuthorization(SentinelAuthenticationDefaults.UserPolicy)
            .RequireRecentAuthentication()
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("SentinelPasskeyDelete")
            .WithSummary("Removes one of the user's passkeys; it stops working at once.");

        passkeys.MapPost("/login/options", LoginOptionsAsync)
            .RequireRateLimiting(SentinelRateLimiting.SignInPolicy)
            .Produces<JsonElement>(contentType: "application/json")
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithName("SentinelPasskeyLoginOptions")
            .WithSummary("Request options (PublicKeyCredentialRequestOptionsJSON) for a passkey sign-in or re-authentication.");

        passkeys.MapPost("/login", LoginAsync)
            .RequireRateLimiting(SentinelRateLimiting.SignInPolicy)
            .Accepts<PasskeyLoginRequest>("application/json")
            .Produces<AccessTokenResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithName("SentinelPasskeyLogin")
            .WithSummary("Signs in with a passkey (AuthenticationResponseJSON); a verified passkey is two factors.");

        group.MapPost("/register/passkey/options", SignUpOptionsAsync)
            .RequireRateLimiting(SentinelRateLimiting.RegistrationPolicy)
            .Accepts<PasskeySignUpOptionsRequest>("application/json")
            .Produces<JsonElement>(contentType: "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithName("SentinelPasskeySignUpOptions")
            .WithSummary("Creation options for a new account with a passkey and no password.");

        group.MapPost("/register/passkey", SignUpAsync)
            .RequireRateLimiting(SentinelRateLimiting.RegistrationPolicy)
            .Accepts<PasskeySignUpRequest>("application/json")
            .Produces<AccessTokenResponse>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("SentinelPasskeySignUp")
            .WithSummary("Creates the account with the passkey (RegistrationResponseJSON) and signs it in.");
        return group;
    }

    private static async Task<IResult> RegistrationOptionsAsync(HttpContext http, PasskeyService passkeys)
    {
        var options = await passkeys.BeginRegistrationAsync(http.User.UserId(), http.RequestAborted).ConfigureAwait(false);
        return options.TryGetValue(out var json) ? OptionsJson(json) : SentinelProblems.ToResult(options.Error!);
    }

    private static async Task<IResult> RegisterAsync(HttpContext http, PasskeyService passkeys)
    {
        var (body, error) = await SentinelRequestReader.ReadAsync(http, SentinelJsonContext.Default.PasskeyRegistrationRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var added = await passkeys.CompleteRegistrationAsync(http.User.UserId(), body!.Credential.GetRawText(), body.Name, http.ClientInfo(), http.RequestAborted)
            .ConfigureAwait(false);
        return added.TryGetValue(out var passkey)
            ? TypedResults.Json(ToResponse(passkey), SentinelJsonContext.Default.PasskeyResponse, statusCode: StatusCodes.Status201Created)
            : SentinelProblems.ToResult(added.Error!);
    }

    private static async Task<IResult> ListAsync(HttpContext http, PasskeyService passkeys)
    {
        var list = await passkeys.ListAsync(http.User.UserId(), http.RequestAborted).ConfigureAwait(false);
        return TypedResults.Json(list.Select(ToResponse).ToArray(), SentinelJsonContext.Default.PasskeyResponseArray);
    }

    private static async Task<IResult> RenameAsync(Guid id, HttpContext http, PasskeyService passkeys)
    {
        var (body, error) = await SentinelRequestReader.ReadAsync(http, SentinelJsonContext.Default.PasskeyRenameRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var renamed = await passkeys.RenameAsync(http.User.UserId(), id, body!.Name, http.RequestAborted).ConfigureAwait(false);
        return renamed.TryGetValue(out var passkey)
            ? TypedResults.Json(ToResponse(passkey), SentinelJsonContext.Default.PasskeyResponse)
            : SentinelProblems.ToResult(renamed.Error!);
    }

    private static async Task<IResult> DeleteAsync(Guid id, HttpContext http, PasskeyService passkeys)
    {
        var result = await passkeys.DeleteAsync(http.User.UserId(), id, http.ClientInfo(), http.RequestAborted).ConfigureAwait(false);
        return result.Succeeded ? TypedResults.NoContent() : SentinelProblems.ToResult(result.Error!);
    }

    private static async Task<IResult> LoginOptionsAsync(HttpContext http, SignInService signIn)
    {
        var options = await signIn.BeginPasskeySignInAsync(http.RequestAborted).ConfigureAwait(false);
        return options.TryGetValue(out var json) ? OptionsJson(json) : SentinelProblems.ToResult(options.Error!);
    }

    private static async Task<IResult> LoginAsync(HttpContext http, SignInService signIn)
    {
        var (body, error) = await SentinelRequestReader.ReadAsync(http, SentinelJsonContext.Default.PasskeyLoginRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var result = await signIn.PasskeySignInAsync(body!.Credential.GetRawText(), http.ClientInfo(), http.RequestAborted).ConfigureAwait(false);
        return SignInResponse(result);
    }

    private static async Task<IResult> SignUpOptionsAsync(HttpContext http, PasskeyService passkeys)
    {
        var (body, error) = await SentinelRequestReader.ReadAsync(http, SentinelJsonContext.Default.PasskeySignUpOptionsRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (SentinelRequestReader.CheckText("email", body!.Email, 320) is { } invalid)
        {
            return invalid;
        }

        var options = await passkeys.BeginSignUpAsync(body.Email, http.RequestAborted).ConfigureAwait(false);
        return options.TryGetValue(out var json) ? OptionsJson(json) : SentinelProblems.ToResult(options.Error!);
    }

    private static async Task<IResult> SignUpAsync(HttpContext http, PasskeyService passkeys)
    {
        var (body, error) = await SentinelRequestReader.ReadAsync(http, SentinelJsonContext.Default.PasskeySignUpRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var result = await passkeys.CompleteSignUpAsync(body!.Credential.GetRawText(), http.ClientInfo(), http.RequestAborted).ConfigureAwait(false);
        return result is SignInResult.Success success
            ? TokenEndpoints.TokenResponse(success.Tokens, success.DeviceToken, StatusCodes.Status201Created)
            : SentinelProblems.ToResult(result.Error!);
    }

    /// <summary>A sign-in's answer; a passkey that did not verify is 401 here (400 when registering one).</summary>
    internal static IResult SignInResponse(SignInResult result) =>
        result is SignInResult.Failure { Reason.Code: SentinelErrorCode.InvalidPasskey } failure
            ? SentinelProblems.ToResult(failure.Reason, StatusCodes.Status401Unauthorized)
            : TokenEndpoints.SignInResponse(result);

    /// <summary>Options as the library wrote them: already the WebAuthn JSON form.</summary>
    private static Microsoft.AspNetCore.Http.HttpResults.ContentHttpResult OptionsJson(string json) => TypedResults.Text(json, "application/json", System.Text.Encoding.UTF8);

    private static PasskeyResponse ToResponse(PasskeyCredential p) => new(p.Id, p.Name, p.CreatedAt, p.LastUsedAt, p.IsBackedUp, p.Transports);
}
