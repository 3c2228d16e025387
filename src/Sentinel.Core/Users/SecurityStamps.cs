namespace Sentinel.Users;

/// <summary>New values for <see cref="SentinelUser.SecurityStamp"/>.</summary>
internal static class SecurityStamps
{
    public static string New() => Guid.NewGuid().ToString("N");
}
