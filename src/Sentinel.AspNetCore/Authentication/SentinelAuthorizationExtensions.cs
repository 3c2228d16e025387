using Sentinel.AspNetCore.Authentication;

using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;

// In the Builder namespace, which web projects import implicitly: `p => p.RequireScope("…")` needs no using.
namespace Microsoft.AspNetCore.Builder;

/// <summary>Sentinel's authorization helpers.</summary>
public static class SentinelAuthorizationExtensions
{
    /// <summary>
    /// Lets API keys authenticate on these endpoints although they ask for no scope (SECURITY K5): by default a key is
    /// a credential only where a scope is required (<see cref="RequireScope"/>), and a plain
    /// <c>RequireAuthorization()</c> takes bearer tokens alone. A key here is checked and audited as anywhere else.
    /// </summary>
    public static TBuilder AcceptApiKeys<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(endpoint => endpoint.Metadata.Add(AcceptApiKeysMetadata.Instance));
        return builder;
    }

    /// <summary>
    /// Requires a recent sign-in on these endpoints (SECURITY T11, RFC 9470), as Sentinel's own sensitive routes do:
    /// a bearer token whose <c>auth_time</c> is at most <paramref name="maxAge"/> old (by default
    /// <c>Sentinel:StepUp:MaxAge</c>, 10 minutes). An older one gets 401 <c>reauthentication_required</c> with
    /// <c>WWW-Authenticate: Bearer error="insufficient_user_authentication", max_age=…</c>; the client re-authenticates
    /// with <c>POST /auth/reauthenticate</c> and retries. A refresh does not make a sign-in recent.
    /// </summary>
    public static TBuilder RequireRecentAuthentication<TBuilder>(this TBuilder builder, TimeSpan? maxAge = null)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.RequireAuthorization(new AuthorizationPolicyBuilder().RequireRecentAuthentication(maxAge).Build());
    }

    /// <summary>Adds the requirement of <see cref="RequireRecentAuthentication{TBuilder}"/> to a policy.</summary>
    public static AuthorizationPolicyBuilder RequireRecentAuthentication(this AuthorizationPolicyBuilder builder, TimeSpan? maxAge = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (maxAge is { } age && age <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(maxAge), "The age must be positive.");
        }

        return builder.RequireAuthenticatedUser().AddRequirements(new RecentAuthenticationRequirement(maxAge));
    }

    /// <summary>
    /// Requires <paramref name="scope"/>: an API key passes only if it holds it (and only endpoints that require a
    /// scope, or <see cref="AcceptApiKeys{TBuilder}"/>, take keys at all); a bearer user passes for the scopes
    /// its roles grant (<c>o.ApiKeys.RoleScopes</c>) or every user holds (<c>o.ApiKeys.DefaultUserScopes</c>).
    /// </summary>
    public static AuthorizationPolicyBuilder RequireScope(this AuthorizationPolicyBuilder builder, string scope)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(scope);
        return builder.RequireAuthenticatedUser().AddRequirements(new ScopeRequirement(scope));
    }
}
