using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sentinel.ApiKeys;
using Sentinel.AspNetCore.Authentication;
using Sentinel.AspNetCore.Endpoints.Contracts;
using Sentinel.AspNetCore.Http;
using Sentinel.AspNetCore.RateLimiting;

namespace Sentinel.AspNetCore.Endpoints;

/// <summary>API keys: <c>POST /api-keys</c>, <c>GET /api-keys</c>, <c>DELETE /api-keys/{id}</c>, <c>POST /api-keys/{id}/rotate</c>.</summary>
internal static class ApiKeyEndpoints
{
    public static RouteGroupBuilder MapApiKeyEndpoints(this RouteGroupBuilder group)
    {
        // Keys are managed by signed-in users only, never with another key.
        var keys = group.MapGroup("/api-keys").RequireAuthorization(SentinelAuthenticationDefaults.UserPolicy);

        // Creating and rotating a key are *recent* (SECURITY T11): a key outlives the access token that made it.
        keys.MapPost("/", CreateAsync)
            .RequireRecentAuthentication()
            .RequireRateLimiting(SentinelRateLimiting.ApiKeyCreationPolicy)
            .Accepts<CreateApiKeyRequest>("application/json")
            .Produces<CreatedApiKeyResponse>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithName("SentinelCreateApiKey")
            .WithSummary("Creates an API key; the key is in this response only.");

        keys.MapGet("/", ListAsync)
            .Produces<ApiKeyResponse[]>()
            .WithName("SentinelListApiKeys")
            .WithSummary("The caller's keys, without secrets.");

        keys.MapDelete("/{id:guid}", RevokeAsync)
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("SentinelRevokeApiKey")
            .WithSummary("Revokes a key; it stops working at once.");

        keys.MapPost("/{id:guid}/rotate", RotateAsync)
            .RequireRecentAuthentication()
            .RequireRateLimiting(SentinelRateLimiting.ApiKeyCreationPolicy)
            .Produces<CreatedApiKeyResponse>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("SentinelRotateApiKey")
            .WithSummary("Replaces a key; the old one keeps working for the grace period, then stops.");
        return group;
    }

    private static async Task<IResult> CreateAsync(HttpContext http, ApiKeyService keys)
    {
        var (body, error) = await SentinelRequestReader.ReadAsync(http, SentinelJsonContext.Default.CreateApiKeyRequest).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var result = await keys.CreateAsync(http.User.UserId(), body!.Name, body.Scopes, body.ExpiresAt, http.ClientInfo(), cancellationToken: http.RequestAborted).ConfigureAwait(false);
        return Created(http, result);
    }

    private static async Task<IResult> ListAsync(HttpContext http, ApiKeyService keys)
    {
        var list = await keys.ListAsync(http.User.UserId(), http.RequestAborted).ConfigureAwait(false);
        var response = list.Select(k => new ApiKeyResponse(k.Id, k.Name, k.DisplayPrefix, k.Scopes, k.CreatedAt, k.ExpiresAt, k.LastUsedAt, k.RevokedAt)).ToArray();
        return TypedResults.Json(response, SentinelJsonContext.Default.ApiKeyResponseArray);
    }

    private static async Task<IResult> RevokeAsync(Guid id, HttpContext http, ApiKeyService keys)
    {
        var result = await keys.RevokeAsync(http.User.UserId(), id, http.ClientInfo(), http.RequestAborted).ConfigureAwait(false);
        return result.Succeeded ? TypedResults.NoContent() : SentinelProblems.ToResult(result.Error!);
    }

    private static async Task<IResult> RotateAsync(Guid id, HttpContext http, ApiKeyService keys)
    {
        var result = await keys.RotateAsync(http.User.UserId(), id, http.ClientInfo(), http.RequestAborted).ConfigureAwait(false);
        return Created(http, result);
    }

    private static IResult Created(HttpContext http, SentinelResult<CreatedApiKey> result)
    {
        if (!result.TryGetValue(out var created))
        {
            return SentinelProblems.ToResult(result.Error!);
        }

        http.Response.Headers.CacheControl = "no-store";
        var r = created.Record;
        return TypedResults.Json(new CreatedApiKeyResponse(r.Id, r.Name, created.Key, r.DisplayPrefix, r.Scopes, r.CreatedAt, r.ExpiresAt),
            SentinelJsonContext.Default.CreatedApiKeyResponse, statusCode: StatusCodes.Status201Created);
    }
}
