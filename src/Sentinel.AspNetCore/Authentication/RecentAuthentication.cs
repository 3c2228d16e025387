using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Sentinel.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Sentinel.AspNetCore.Authentication;

/// <summary>
/// Requires a recent sign-in (SECURITY T11, RFC 9470): a bearer token whose <c>auth_time</c> is at most
/// <see cref="MaxAge"/> old. An API key never meets it (a key proves no user's presence).
/// </summary>
/// <param name="MaxAge">The oldest sign-in accepted; null for <c>Sentinel:StepUp:MaxAge</c>, read when checked.</param>
public sealed record RecentAuthenticationRequirement(TimeSpan? MaxAge) : IAuthorizationRequirement
{
    /// <summary>The age that applies: <see cref="MaxAge"/>, or the configured one.</summary>
    internal TimeSpan EffectiveMaxAge(SentinelOptions options) => MaxAge ?? options.StepUp.MaxAge;

    /// <summary>The requirement with the configured age.</summary>
    internal static RecentAuthenticationRequirement Default { get; } = new((TimeSpan?)null);
}

/// <summary>The 401 <c>reauthentication_required</c> answer (RFC 9470), for the result handler and routes that decide it themselves.</summary>
internal static class RecentAuthenticationResponses
{
    public static Task WriteAsync(HttpContext context, TimeSpan maxAge)
    {
        context.Response.Headers.WWWAuthenticate =
            $"Bearer error=\"insufficient_user_authentication\", error_description=\"A more recent authentication is required\", max_age={((long)maxAge.TotalSeconds).ToString(CultureInfo.InvariantCulture)}";
        return SentinelProblems.WriteAsync(context, StatusCodes.Status401Unauthorized, SentinelErrorCode.ReauthenticationRequired,
            "This needs a recent sign-in: re-authenticate (POST /auth/reauthenticate), then retry.");
    }

    /// <summary>The answer as a result, with the configured age.</summary>
    public static IResult Required(HttpContext context) => new Result(
        context.RequestServices.GetRequiredService<IOptions<SentinelOptions>>().Value.StepUp.MaxAge);

    private sealed class Result(TimeSpan maxAge) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext, maxAge);
    }
}

/// <summary>Decides <see cref="RecentAuthenticationRequirement"/> from the bearer token's <c>auth_time</c>.</summary>
internal sealed class RecentAuthenticationHandler(IOptions<SentinelOptions> options, TimeProvider time)
    : AuthorizationHandler<RecentAuthenticationRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, RecentAuthenticationRequirement requirement)
    {
        var oldest = time.GetUtcNow() - requirement.EffectiveMaxAge(options.Value);
        foreach (var identity in context.User.Identities)
        {
            if (identity.IsAuthenticated && identity.AuthenticationType == SentinelAuthenticationDefaults.BearerScheme
                && identity.FindFirst("auth_time")?.Value is { } value
                && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                && DateTimeOffset.FromUnixTimeSeconds(seconds) >= oldest)
            {
                context.Succeed(requirement);
                break;
            }
        }

        return Task.CompletedTask;
    }
}
