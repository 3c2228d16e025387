using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;

namespace Sentinel.AspNetCore.Http;

/// <summary>
/// Turns Sentinel's closed error codes into RFC 9457 problem details with the <c>code</c> extension, the status
/// the HTTP contract gives each code, and <c>Retry-After</c> for lockouts and rate limits.
/// </summary>
public static class SentinelProblems
{
    /// <summary>The HTTP status of each error code.</summary>
    public static int StatusOf(SentinelErrorCode code) => code switch
    {
        SentinelErrorCode.ValidationFailed => StatusCodes.Status400BadRequest,
        SentinelErrorCode.EmailTaken => StatusCodes.Status409Conflict,
        SentinelErrorCode.InvalidCredentials => StatusCodes.Status401Unauthorized,
        SentinelErrorCode.MfaRequired => StatusCodes.Status401Unauthorized,
        SentinelErrorCode.InvalidMfaCode => StatusCodes.Status401Unauthorized,
        SentinelErrorCode.InvalidMfaToken => StatusCodes.Status401Unauthorized,
        SentinelErrorCode.MfaAlreadyEnabled => StatusCodes.Status409Conflict,
        SentinelErrorCode.NoPendingSetup => StatusCodes.Status400BadRequest,
        SentinelErrorCode.EmailNotConfirmed => StatusCodes.Status403Forbidden,
        SentinelErrorCode.InvalidRefreshToken => StatusCodes.Status401Unauthorized,
        SentinelErrorCode.InvalidToken => StatusCodes.Status400BadRequest,
        SentinelErrorCode.InvalidApiKey => StatusCodes.Status401Unauthorized,
        SentinelErrorCode.InsufficientScope => StatusCodes.Status403Forbidden,
        SentinelErrorCode.Forbidden => StatusCodes.Status403Forbidden,
        SentinelErrorCode.NotFound => StatusCodes.Status404NotFound,
        SentinelErrorCode.LockedOut => StatusCodes.Status429TooManyRequests,
        SentinelErrorCode.RateLimited => StatusCodes.Status429TooManyRequests,
        SentinelErrorCode.ServiceUnavailable => StatusCodes.Status503ServiceUnavailable,
        SentinelErrorCode.ReauthenticationRequired => StatusCodes.Status401Unauthorized,
        SentinelErrorCode.InvalidPasskey => StatusCodes.Status400BadRequest, // 401 on the sign-in routes
        _ => StatusCodes.Status400BadRequest,
    };

    /// <summary>The problem details result for <paramref name="error"/>.</summary>
    public static IResult ToResult(SentinelError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new ProblemResult(StatusOf(error.Code), error.Code, error.Message, error.Errors, error.RetryAfter);
    }

    /// <summary>The problem details result for <paramref name="error"/>, with a status of the route's own (a code whose status depends on the route).</summary>
    public static IResult ToResult(SentinelError error, int status)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new ProblemResult(status, error.Code, error.Message, error.Errors, error.RetryAfter);
    }

    /// <summary>
    /// 401 <c>mfa_required</c> with <c>detail: "RequiresTwoFactor"</c> (as ASP.NET Core Identity's <c>/login</c>
    /// answers) and the challenge token in the <c>mfaToken</c> extension.
    /// </summary>
    public static IResult MfaRequired(string mfaToken) =>
        new ProblemResult(StatusCodes.Status401Unauthorized, SentinelErrorCode.MfaRequired, "RequiresTwoFactor", null, null, mfaToken);

    /// <summary>Writes a problem details response directly (authentication handlers, middleware).</summary>
    public static Task WriteAsync(HttpContext context, int status, SentinelErrorCode code, string detail, TimeSpan? retryAfter = null) =>
        new ProblemResult(status, code, detail, null, retryAfter).ExecuteAsync(context);

    private static string TitleOf(int status) => status switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Error",
    };

    private sealed class ProblemResult(
        int status, SentinelErrorCode code, string detail, IReadOnlyDictionary<string, string[]>? errors, TimeSpan? retryAfter, string? mfaToken = null) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var problem = new ProblemDetails
            {
                Status = status,
                Title = TitleOf(status),
                Detail = detail,
                Type = "https://tools.ietf.org/html/rfc9110#section-15",
                Instance = httpContext.Request.Path,
            };
            problem.Extensions["code"] = code.ToCode();
            if (errors is not null)
            {
                problem.Extensions["errors"] = errors;
            }

            if (mfaToken is not null)
            {
                problem.Extensions["mfaToken"] = mfaToken;
            }

            if (retryAfter is { } wait)
            {
                var seconds = (long)Math.Ceiling(wait.TotalSeconds);
                httpContext.Response.Headers[HeaderNames.RetryAfter] = seconds.ToString(CultureInfo.InvariantCulture);
                problem.Extensions["retryAfter"] = seconds;
            }

            return TypedResults.Problem(problem).ExecuteAsync(httpContext);
        }
    }
}
