namespace Sentinel.AspNetCore.Authentication;

/// <summary>Names of Sentinel's authentication schemes and authorization policies.</summary>
public static class SentinelAuthenticationDefaults
{
    /// <summary>Bearer access tokens (<c>Authorization: Bearer …</c>).</summary>
    public const string BearerScheme = "Sentinel.Bearer";

    /// <summary>API keys (<c>X-Api-Key: …</c> or <c>Authorization: ApiKey …</c>).</summary>
    public const string ApiKeyScheme = "Sentinel.ApiKey";

    /// <summary>The default scheme: picks <see cref="ApiKeyScheme"/> or <see cref="BearerScheme"/> by header.</summary>
    public const string Scheme = "Sentinel";

    /// <summary>The claim that carries an API key's scopes.</summary>
    public const string ScopeClaim = "scope";

    /// <summary>The claim that carries the id of the API key a request came with.</summary>
    public const string ApiKeyIdClaim = "api_key_id";

    /// <summary>The policy Sentinel's own endpoints require: an authenticated Sentinel user.</summary>
    public const string UserPolicy = "Sentinel.User";

    /// <summary>
    /// The policy of Sentinel's admin endpoints (the audit log): a signed-in user holding the role named by
    /// <see cref="Sentinel.Audit.AuditOptions.AdminRole"/> (<c>admin</c> by default). Others get 403 <c>forbidden</c>.
    /// </summary>
    public const string AdminPolicy = "Sentinel.Admin";

    /// <summary>
    /// A signed-in user whose sign-in is recent (<c>Sentinel:StepUp:MaxAge</c>, SECURITY T11); an older one gets 401
    /// <c>reauthentication_required</c>. For <c>[Authorize(Policy = …)]</c>; minimal APIs can call
    /// <c>RequireRecentAuthentication()</c>.
    /// </summary>
    public const string RecentPolicy = "Sentinel.Recent";
}
