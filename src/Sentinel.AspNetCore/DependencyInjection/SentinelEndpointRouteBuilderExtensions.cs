using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sentinel.AspNetCore.Endpoints;
using Sentinel.AspNetCore.RateLimiting;

namespace Microsoft.AspNetCore.Routing;

/// <summary>Maps the HTTP contract of docs/API.md.</summary>
public static class SentinelEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps every Sentinel endpoint under <paramref name="prefix"/> (default <c>/auth</c>) and
    /// <c>/.well-known/jwks.json</c>. Returns the group, so conventions (rate limits, CORS, tags) apply to all.
    /// </summary>
    public static RouteGroupBuilder MapSentinelAuth(this IEndpointRouteBuilder endpoints, string prefix = "/auth")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = SentinelGroup(endpoints, prefix);
        group.MapAccountEndpoints();
        group.MapEmailEndpoints();
        group.MapTokenEndpoints();
        group.MapMfaEndpoints();
        group.MapPasskeyEndpoints();
        group.MapApiKeyEndpoints();
        group.MapAuditEndpoints();
        endpoints.MapSentinelJwks();
        return group;
    }

    /// <summary>Maps only sign-in (with its MFA step), refresh and logout under <paramref name="prefix"/>.</summary>
    public static RouteGroupBuilder MapSentinelTokens(this IEndpointRouteBuilder endpoints, string prefix = "/auth") =>
        SentinelGroup(endpoints, prefix).MapTokenEndpoints();

    /// <summary>Maps only register, me, password, sessions and account recovery (email confirmation, password reset) under <paramref name="prefix"/>.</summary>
    public static RouteGroupBuilder MapSentinelAccount(this IEndpointRouteBuilder endpoints, string prefix = "/auth") =>
        SentinelGroup(endpoints, prefix).MapAccountEndpoints().MapEmailEndpoints();

    /// <summary>Maps only the two-factor endpoints (<c>/mfa/…</c>) under <paramref name="prefix"/>.</summary>
    public static RouteGroupBuilder MapSentinelMfa(this IEndpointRouteBuilder endpoints, string prefix = "/auth") =>
        SentinelGroup(endpoints, prefix).MapMfaEndpoints();

    /// <summary>Maps only the passkey endpoints (<c>/passkeys/…</c>, <c>/register/passkey…</c>) under <paramref name="prefix"/>.</summary>
    public static RouteGroupBuilder MapSentinelPasskeys(this IEndpointRouteBuilder endpoints, string prefix = "/auth") =>
        SentinelGroup(endpoints, prefix).MapPasskeyEndpoints();

    /// <summary>Maps only the API key endpoints (<c>/api-keys/…</c>) under <paramref name="prefix"/>.</summary>
    public static RouteGroupBuilder MapSentinelApiKeys(this IEndpointRouteBuilder endpoints, string prefix = "/auth") =>
        SentinelGroup(endpoints, prefix).MapApiKeyEndpoints();

    /// <summary>Maps only the audit endpoints (<c>/audit</c>, <c>/audit/me</c>, <c>/audit/verify</c>) under <paramref name="prefix"/>.</summary>
    public static RouteGroupBuilder MapSentinelAudit(this IEndpointRouteBuilder endpoints, string prefix = "/auth") =>
        SentinelGroup(endpoints, prefix).MapAuditEndpoints();

    /// <summary>
    /// A group of Sentinel's endpoints: tagged, counted by the global rate limit, and answered with
    /// <c>Cache-Control: no-store</c> (responses carry tokens, keys and account data; RFC 6749 §5.1).
    /// </summary>
    private static RouteGroupBuilder SentinelGroup(IEndpointRouteBuilder endpoints, string prefix)
    {
        var group = endpoints.MapGroup(prefix).WithTags("Sentinel").WithMetadata(SentinelEndpointMetadata.Instance, Sentinel.AspNetCore.Http.SentinelOwnedEndpoint.Instance);
        group.AddEndpointFilter(static async (context, next) =>
        {
            context.HttpContext.Response.Headers.CacheControl = "no-store";
            context.HttpContext.Response.Headers.Pragma = "no-cache";
            return await next(context).ConfigureAwait(false);
        });
        return group;
    }

    /// <summary>Maps <c>GET /.well-known/jwks.json</c>.</summary>
    public static IEndpointConventionBuilder MapSentinelJwks(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapJwks();
}
