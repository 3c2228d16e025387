using System.Globalization;
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

/// <summary>Requires the admin role of <see cref="Sentinel.Audit.AuditOptions.AdminRole"/>, read when checked so options apply.</summary>
public sealed class SentinelAdminRequirement : IAuthorizationRequirement;

/// <summary>Decides <see cref="SentinelAdminRequirement"/> from the bearer token's <c>role</c> claims.</summary>
internal sealed class SentinelAdminAuthorizationHandler(IOptions<SentinelOptions> options) : AuthorizationHandler<SentinelAdminRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, SentinelAdminRequirement requirement)
    {
        var role = options.Value.Audit.AdminRole;
        if (context.User.Identities.Any(i => i.IsAuthenticated && i.AuthenticationType == SentinelAuthenticationDefaults.BearerScheme
            && i.HasClaim(c => c.Type == "role" && string.Equals(c.Value, role, StringComparison.Ordinal))))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}

/// <summary>
/// Answers a missing scope with 403 <c>insufficient_scope</c>, a missing admin role with 403 <c>forbidden</c>, and a
/// signed-in user whose sign-in is too old with 401 <c>reauthentication_required</c> and RFC 9470's
/// <c>WWW-Authenticate: Bearer error="insufficient_user_authentication", max_age=…</c>, as problem details;
/// everything else as ASP.NET Core does.
/// </summary>
internal sealed class SentinelAuthorizationResultHandler(IOptions<SentinelOptions> options) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (authorizeResult.Forbidden
            && authorizeResult.AuthorizationFailure?.FailedRequirements.OfType<RecentAuthenticationRequirement>().FirstOrDefault() is { } recent
            && context.User.Identities.Any(i => i.IsAuthenticated && i.AuthenticationType == SentinelAuthenticationDefaults.BearerScheme))
        {
            return RecentAuthenticationResponses.WriteAsync(context, recent.EffectiveMaxAge(options.Value));
        }

        if (authorizeResult.Forbidden && authorizeResult.AuthorizationFailure?.FailedRequirements.OfType<ScopeRequirement>().FirstOrDefault() is { } missing)
        {
            return SentinelProblems.WriteAsync(context, StatusCodes.Status403Forbidden, SentinelErrorCode.InsufficientScope,
                $"This needs the scope '{missing.Scope}'.");
        }

        if (authorizeResult.Forbidden && authorizeResult.AuthorizationFailure?.FailedRequirements.OfType<SentinelAdminRequirement>().Any() == true)
        {
            return SentinelProblems.WriteAsync(context, StatusCodes.Status403Forbidden, SentinelErrorCode.Forbidden,
                "This needs an administrator.");
        }

        return _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
