namespace Sentinel.AspNetCore.Authentication;

/// <summary>Names of Sentinel's authentication schemes and authorization policies.</summary>
public static class SentinelAuthenticationDefaults
{
    /// <summary>Bearer access tokens (<c>Authorization: Bearer …</c>).</summary>
    public const string BearerScheme = "Sentinel.Bearer";

    /// <summary>The policy Sentinel's own endpoints require: an authenticated Sentinel user.</summary>
    public const string UserPolicy = "Sentinel.User";
}
