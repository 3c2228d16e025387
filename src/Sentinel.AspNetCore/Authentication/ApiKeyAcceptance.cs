using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Sentinel.AspNetCore.Authentication;

/// <summary>
/// Endpoint metadata that lets API keys authenticate on an endpoint that asks for no scope. Added by
/// <c>AcceptApiKeys()</c>; without it (or a scope) a key is not looked at (SECURITY K5).
/// </summary>
public sealed class AcceptApiKeysMetadata
{
    internal static readonly AcceptApiKeysMetadata Instance = new();

    private AcceptApiKeysMetadata()
    {
    }
}

/// <summary>
/// Decides, per endpoint, whether an API key may authenticate there (SECURITY K5): where the endpoint requires a scope
/// (<c>RequireScope</c>, in an inline or a named policy), names the API key scheme in its policy, or opts in with
/// <c>AcceptApiKeys()</c>. Everywhere else (a plain <c>RequireAuthorization()</c>, Sentinel's own routes, anonymous
/// endpoints) the key is not read, costs no lookup, and the request is a bearer request.
/// </summary>
internal static class ApiKeyAcceptance
{
    // Endpoints live as long as the app, and their metadata does not change: decide once per endpoint.
    private static readonly ConditionalWeakTable<Endpoint, StrongBox<bool>> Decided = new();

    public static bool Accepts(HttpContext context)
    {
        if (context.GetEndpoint() is not { } endpoint)
        {
            return false;
        }

        if (Decided.TryGetValue(endpoint, out var known))
        {
            return known.Value;
        }

        var authorization = context.RequestServices.GetRequiredService<IOptions<AuthorizationOptions>>().Value;
        return Decided.GetValue(endpoint, e => new StrongBox<bool>(Decide(e.Metadata, authorization))).Value;
    }

    private static bool Decide(EndpointMetadataCollection metadata, AuthorizationOptions authorization)
    {
        if (metadata.GetMetadata<AcceptApiKeysMetadata>() is not null)
        {
            return true;
        }

        if (metadata.GetMetadata<IAllowAnonymous>() is not null)
        {
            return false;
        }

        foreach (var policy in metadata.GetOrderedMetadata<AuthorizationPolicy>())
        {
            if (AcceptsKeys(policy))
            {
                return true;
            }
        }

        foreach (var data in metadata.GetOrderedMetadata<IAuthorizationRequirementData>())
        {
            if (data.GetRequirements().Any(r => r is ScopeRequirement))
            {
                return true;
            }
        }

        foreach (var data in metadata.GetOrderedMetadata<IAuthorizeData>())
        {
            if (data.AuthenticationSchemes?.Split(',').Any(s => IsKeyScheme(s.Trim())) == true
                || (data.Policy is { } name && authorization.GetPolicy(name) is { } named && AcceptsKeys(named)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool AcceptsKeys(AuthorizationPolicy policy) =>
        policy.Requirements.Any(r => r is ScopeRequirement) || policy.AuthenticationSchemes.Any(IsKeyScheme);

    private static bool IsKeyScheme(string scheme) => scheme == SentinelAuthenticationDefaults.ApiKeyScheme;
}
