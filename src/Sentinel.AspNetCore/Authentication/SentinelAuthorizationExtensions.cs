using Sentinel.AspNetCore.Authentication;

using Microsoft.AspNetCore.Authorization;

// In the Builder namespace, which web projects import implicitly: `p => p.RequireScope("…")` needs no using.
namespace Microsoft.AspNetCore.Builder;

/// <summary>Sentinel's authorization helpers.</summary>
public static class SentinelAuthorizationExtensions
{
    /// <summary>
    /// Requires <paramref name="scope"/>: an API key passes only if it holds it; a bearer user passes for the scopes
    /// its roles grant (<c>o.ApiKeys.RoleScopes</c>) or every user holds (<c>o.ApiKeys.DefaultUserScopes</c>).
    /// </summary>
    public static AuthorizationPolicyBuilder RequireScope(this AuthorizationPolicyBuilder builder, string scope)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(scope);
        return builder.RequireAuthenticatedUser().AddRequirements(new ScopeRequirement(scope));
    }
}
