using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sentinel.AspNetCore.Endpoints;

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
        var group = endpoints.MapGroup(prefix).WithTags("Sentinel");
        group.MapAccountEndpoints();
        group.MapTokenEndpoints();
        endpoints.MapSentinelJwks();
        return group;
    }

    /// <summary>Maps only sign-in, refresh and logout under <paramref name="prefix"/>.</summary>
    public static RouteGroupBuilder MapSentinelTokens(this IEndpointRouteBuilder endpoints, string prefix = "/auth") =>
        endpoints.MapGroup(prefix).WithTags("Sentinel").MapTokenEndpoints();

    /// <summary>Maps only register, me, password and sessions under <paramref name="prefix"/>.</summary>
    public static RouteGroupBuilder MapSentinelAccount(this IEndpointRouteBuilder endpoints, string prefix = "/auth") =>
        endpoints.MapGroup(prefix).WithTags("Sentinel").MapAccountEndpoints();

    /// <summary>Maps <c>GET /.well-known/jwks.json</c>.</summary>
    public static IEndpointConventionBuilder MapSentinelJwks(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapJwks();
}
