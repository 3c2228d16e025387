namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds Sentinel's middleware and endpoints to an ASP.NET Core app.</summary>
public static class SentinelApplicationBuilderExtensions
{
    /// <summary>Rate limiting, authentication and authorization, in the right order. Call after <c>UseRouting</c> if you call it.</summary>
    public static IApplicationBuilder UseSentinelAuth(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }
}
