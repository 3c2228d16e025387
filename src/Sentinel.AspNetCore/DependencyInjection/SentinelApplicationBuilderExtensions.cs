namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds Sentinel's middleware and endpoints to an ASP.NET Core app.</summary>
public static class SentinelApplicationBuilderExtensions
{
    /// <summary>
    /// Store outages as 503 problem details, rate limiting, authentication and authorization, in the right order.
    /// Call after <c>UseRouting</c> (and <c>UseForwardedHeaders</c> behind a proxy) if you call them.
    /// </summary>
    public static IApplicationBuilder UseSentinelAuth(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<Sentinel.AspNetCore.Http.StoreOutageMiddleware>();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }
}
