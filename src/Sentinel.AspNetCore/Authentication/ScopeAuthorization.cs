using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Sentinel.AspNetCore.Http;

namespace Sentinel.AspNetCore.Authentication;

/// <summary>Requires a scope: an API key must hold it; a bearer user must hold it through a role or by default.</summary>
/// <param name="Scope">The scope, for example <c>reports:read</c>.</param>
public sealed record ScopeRequirement(string Scope) : IAuthorizationRequirement;

/// <summary>Decides <see cref="ScopeRequirement"/> (SECURITY K3).</summary>
internal sealed class ScopeAuthorizationHandler(IOptions<SentinelOptions> options) : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        var apiKeys = options.Value.ApiKeys;
        foreach (var identity in context.User.Identities.Where(i => i.IsAuthenticated))
        {
            var granted = identity.AuthenticationType == SentinelAuthenticationDefaults.ApiKeyScheme
                ? identity.HasClaim(SentinelAuthenticationDefaults.ScopeClaim, requirement.Scope)
                : identity.AuthenticationType == SentinelAuthenticationDefaults.BearerScheme
                    && (apiKeys.DefaultUserScopes.Contains(requirement.Scope)
                        || identity.FindAll("role").Any(r => apiKeys.RoleScopes.TryGetValue(r.Value, out var scopes) && scopes.Contains(requirement.Scope)));
            if (granted)
            {
                context.Succeed(requirement);
                return Task.CompletedTask;
            }
        }

        return Task.CompletedTask;
    }
}

/// <summary>Answers a missing scope with 403 <c>insufficient_scope</c>; everything else as ASP.NET Core does.</summary>
internal sealed class SentinelAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden && authorizeResult.AuthorizationFailure?.FailedRequirements.OfType<ScopeRequirement>().FirstOrDefault() is { } missing)
        {
            return SentinelProblems.WriteAsync(context, StatusCodes.Status403Forbidden, SentinelErrorCode.InsufficientScope,
                $"This needs the scope '{missing.Scope}'.");
        }

        return _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
