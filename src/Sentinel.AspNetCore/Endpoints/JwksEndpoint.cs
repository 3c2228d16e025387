using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sentinel.AspNetCore.Endpoints.Contracts;
using Sentinel.Tokens;

namespace Sentinel.AspNetCore.Endpoints;

/// <summary><c>GET /.well-known/jwks.json</c>: every public key a valid token may be signed with, and the next one.</summary>
internal static class JwksEndpoint
{
    public const string Path = "/.well-known/jwks.json";

    public static RouteHandlerBuilder MapJwks(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet(Path, async (HttpContext http, SigningKeyRing keys) =>
            {
                var published = await keys.GetPublishedKeysAsync(http.RequestAborted).ConfigureAwait(false);
                var set = new JsonWebKeySetResponse(published.Select(k => new JsonWebKeyResponse
                {
                    Kty = k.Kty, Use = k.Use, Alg = k.Alg, Kid = k.Kid, Crv = k.Crv, X = k.X, Y = k.Y, N = k.N, E = k.E,
                }).ToArray());
                // Caches may keep it briefly: a new key is published well before it signs.
                http.Response.Headers.CacheControl = "public, max-age=300";
                return TypedResults.Json(set, SentinelJsonContext.Default.JsonWebKeySetResponse);
            })
            .WithMetadata(Sentinel.AspNetCore.Http.SentinelOwnedEndpoint.Instance)
            .Produces<JsonWebKeySetResponse>()
            .WithName("SentinelJwks")
            .WithSummary("The JSON Web Key Set of Sentinel's signing keys.");
}
