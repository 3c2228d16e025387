using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Sentinel.AspNetCore.Http;

/// <summary>Reads Sentinel's facts off a request.</summary>
internal static class HttpContextExtensions
{
    public static ClientInfo ClientInfo(this HttpContext context) =>
        new(context.Connection.RemoteIpAddress?.ToString(), context.Request.Headers[HeaderNames.UserAgent].ToString() is { Length: > 0 } ua ? ua : null);

    /// <summary>The authenticated user's id (<c>sub</c>); the endpoint requires authentication, so it is there.</summary>
    public static Guid UserId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue("sub"), out var id) ? id : throw new InvalidOperationException("The principal has no Sentinel subject.");

    /// <summary>The session of the presented access token (<c>sid</c>), if any.</summary>
    public static Guid? SessionId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue("sid"), out var id) ? id : null;
}
